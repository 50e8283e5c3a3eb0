/**
 * The seeded mutator of the feature routes' fuzz spec (`http/routes.fuzz.test.ts`): every route a
 * built app serves besides the doors' model calls (status, usage, admin operations, virtual keys, the
 * dashboard and its feed, /metrics, /v1/models, count_tokens, stored responses read back and deleted,
 * the health checks), each as a valid
 * request, then damaged: the method, the path (its `{id}` empty, huge, unicode, `..`, percent-encoded,
 * a secret pasted in), the query (repeated, empty, huge, wrong types, bad dates, unknown keys), headers
 * and the body (`mutate.ts`'s JSON damage, or bytes no route takes). Deterministic for a seed.
 */
import { seededRandom } from '../../core/random.js';
import { mutateJson, pick, stringsOf, type Rng } from '../../ingress/testing/mutate.js';

/** Who sends a case: a config admin key, a config user key, a scrape key, a virtual key, a wrong key or none. */
export type CallerName = 'admin' | 'user' | 'metrics' | 'virtual' | 'wrong' | 'none';
export const CALLERS: readonly CallerName[] = ['admin', 'user', 'metrics', 'virtual', 'wrong', 'none'];

/** The values a case may paste where an id goes, known only once the app runs. */
export interface Secrets {
  /** Every secret the gateway holds (config keys, the HMAC secret, the upstream's key, virtual keys). */
  all: readonly string[];
  /** A virtual key, secret and all. */
  virtualKey: string;
  /** A live virtual key's id that a case may revoke or rotate (not the caller's). */
  victimId: string;
  /** A response the user key stored, which a case may read or delete. */
  responseId: string;
}

export interface RouteSeed {
  method: 'GET' | 'POST' | 'DELETE';
  /** The path; `{id}` is filled in per case. */
  path: string;
  /** Who may get a 2xx (`public`: anyone). */
  allowed: readonly CallerName[] | 'public';
  /** Valid ids for `{id}`. */
  ids?: (s: Secrets) => string[];
  /** Valid bodies (POST). */
  bodies?: Array<Record<string, unknown>>;
  /** Valid query strings. */
  queries?: string[];
}

const ADMIN: readonly CallerName[] = ['admin'];
/** Every key but a scrape key, which the handler refuses on every route but /metrics. */
const ANY_KEY: readonly CallerName[] = ['admin', 'user', 'virtual'];
const DEPLOYMENTS = (): string[] => ['d0', 'spot'];
/** A stored response is its key's alone: every other caller is answered 404. */
const OWNER: readonly CallerName[] = ['user'];
const RESPONSE = (s: Secrets): string[] => [s.responseId];

export const ROUTES: readonly RouteSeed[] = [
  { method: 'GET', path: '/v1/switchyard/status', allowed: ADMIN },
  { method: 'GET', path: '/v1/switchyard/usage', allowed: ANY_KEY, queries: ['', 'from=2026-01-01&to=2026-02-01', 'group_by=provider,day', 'group_by=tag:project,key&from=2025-06-01T00:00:00Z'] },
  { method: 'GET', path: '/v1/switchyard/config', allowed: ADMIN },
  { method: 'POST', path: '/v1/switchyard/reload', allowed: ADMIN, bodies: [{}] },
  { method: 'POST', path: '/v1/switchyard/deployments/{id}/drain', allowed: ADMIN, ids: DEPLOYMENTS, bodies: [{}, { reason: 'maintenance' }] },
  { method: 'POST', path: '/v1/switchyard/deployments/{id}/undrain', allowed: ADMIN, ids: DEPLOYMENTS, bodies: [{}, { reason: 'back' }] },
  { method: 'POST', path: '/v1/switchyard/deployments/{id}/interruption', allowed: ADMIN, ids: () => ['spot'], bodies: [{}, { deadline: '2026-03-01T12:00:00Z', source: 'aws' }, { deadline: 1_772_000_000_000 }] },
  { method: 'POST', path: '/v1/switchyard/breakers/{id}/reset', allowed: ADMIN, ids: DEPLOYMENTS, bodies: [{}] },
  {
    method: 'POST',
    path: '/v1/switchyard/keys',
    allowed: ADMIN,
    bodies: [
      { owner: 'ana' },
      { owner: 'bo', team: 'search', tags: { project: 'x' }, groups: ['chat'], budgets: [{ period: 'daily', hard_usd: 5 }], rate_limits: { requests_per_minute: 60 }, metadata: { n: 1, ok: true } },
      { role: 'admin', expires_at: '2099-01-01T00:00:00Z', models: ['d0'], allow_direct_deployments: true, residency: 'eu' },
    ],
  },
  { method: 'GET', path: '/v1/switchyard/keys', allowed: ADMIN },
  { method: 'POST', path: '/v1/switchyard/keys/{id}/revoke', allowed: ADMIN, ids: (s) => [s.victimId], bodies: [{}] },
  { method: 'POST', path: '/v1/switchyard/keys/{id}/rotate', allowed: ADMIN, ids: (s) => [s.victimId], bodies: [{}] },
  { method: 'GET', path: '/dashboard', allowed: 'public' },
  { method: 'GET', path: '/dashboard/events', allowed: ADMIN },
  { method: 'GET', path: '/metrics', allowed: ['admin', 'metrics'] },
  { method: 'GET', path: '/v1/models', allowed: ANY_KEY },
  { method: 'GET', path: '/models', allowed: ANY_KEY },
  { method: 'POST', path: '/v1/messages/count_tokens', allowed: ANY_KEY, bodies: [{ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] }] },
  { method: 'GET', path: '/v1/responses/{id}', allowed: OWNER, ids: RESPONSE },
  { method: 'GET', path: '/v1/responses/{id}/input_items', allowed: OWNER, ids: RESPONSE, queries: ['', 'order=asc&limit=1', 'limit=100&include[]=message.input_image.image_url'] },
  { method: 'DELETE', path: '/v1/responses/{id}', allowed: OWNER, ids: RESPONSE },
  { method: 'GET', path: '/healthz', allowed: 'public' },
  { method: 'GET', path: '/readyz', allowed: 'public' },
];

export interface RouteCase {
  /** Reproduces the case. */
  label: string;
  seed: RouteSeed;
  caller: CallerName;
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

/** Ids a client may put where an id goes: the path segment as sent (percent-encoding is the client's). */
function wrongId(rng: Rng, s: Secrets): string {
  return pick(rng, [
    '',
    ' ',
    'x'.repeat(pick(rng, [300, 20_000])),
    '%C3%A9t%C3%A9%F0%9F%98%80',
    'é\u202e',
    '..',
    '.',
    '%2e%2e',
    '%2F',
    'a%2Fb',
    '%',
    '%E0%A4%A',
    '%00',
    '__proto__',
    'constructor',
    'toString',
    'D0',
    'd0 ',
    '000000000000',
    'ffffffffffff',
    encodeURIComponent(s.virtualKey),
    s.virtualKey,
    encodeURIComponent(pick(rng, s.all)),
    `${s.victimId}x`,
  ]);
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'get', 'FOO'];

/** Query parameters the routes read, and others; values of every wrong kind. */
const QUERY_KEYS = ['from', 'to', 'group_by', 'format', 'limit', 'order', 'after', 'before', 'include[]', 'key', 'stream', '__proto__', 'constructor', '', 'x'.repeat(200)];
const QUERY_VALUES = [
  '',
  '2026-01-01',
  '2026-13-45',
  '2026-02-30',
  '0000-00-00',
  '9999-12-31',
  '+275760-09-13T00:00:00Z',
  '-271821-04-20T00:00:00Z',
  '1970-01-01T00:00:00Z',
  'yesterday',
  'NaN',
  '-1',
  '1e309',
  '99999999999999999999',
  'true',
  'null',
  'provider,provider',
  'tag',
  'tag:',
  'tag:a.b',
  'tag:"x',
  'tag:__proto__',
  'provider,model,deployment,region,key,team,user,group,day,status,operation,role,tag:a,tag:b,tag:c,tag:d,tag:e',
  ',,,',
  'unknown',
  '%',
  '%E0%A4%A',
  '%00',
  'x'.repeat(9_000),
];

function wrongQuery(rng: Rng, valid: string, s: Secrets): { query: string; step: string } {
  const r = rng();
  if (r < 0.1) return { query: pick(rng, ['&', '=', '&&=&', '?', '%', 'a=1&a=2&a=3', `a=${'x'.repeat(50_000)}`]), step: 'odd query' };
  const params = valid === '' ? [] : valid.split('&');
  for (let n = 1 + Math.floor(rng() * 3); n > 0; n--) {
    // A key pasted where a value goes (a date, a group-by), now and then.
    const value = rng() < 0.1 ? encodeURIComponent(pick(rng, s.all)) : pick(rng, QUERY_VALUES);
    params.push(`${pick(rng, QUERY_KEYS)}=${value}`);
  }
  // Repeated keys: URLSearchParams.get takes the first.
  if (rng() < 0.3 && params.length > 0) params.unshift(pick(rng, params));
  const query = params.join('&');
  return { query, step: `query ${query.slice(0, 120)}` };
}

const HEADER_DAMAGE: ReadonlyArray<[string, readonly string[]]> = [
  ['content-type', ['text/plain', 'application/x-www-form-urlencoded', '', 'application/json; charset=utf-16']],
  ['content-encoding', ['gzip', 'br']],
  ['x-request-id', ['a'.repeat(500), 'bad id', '__proto__']],
  ['origin', ['https://evil.example', 'null']],
  ['sec-fetch-site', ['cross-site']],
  ['accept', ['text/event-stream', 'application/xml']],
  ['traceparent', ['00-xyz', 'x'.repeat(600)]],
  ['x-switchyard-deployment', ['d0', '__proto__']],
];

/** A body no JSON route takes, or one it must read with care. */
function wrongBody(rng: Rng): { body: Buffer; step: string } {
  const body = pick(rng, [
    '',
    ' ',
    'null',
    '[]',
    '"x"',
    '1e400',
    'true',
    '{',
    '{"a":1}garbage',
    '{"__proto__":{"reason":"x"},"constructor":{"prototype":{"polluted":true}}}',
    '{"reason":"x","reason":1}',
    `${'['.repeat(50_000)}${']'.repeat(50_000)}`,
    `{"reason":"${'x'.repeat(1_100_000)}"}`,
    '\ufeff{}',
  ]);
  if (rng() < 0.1) return { body: Buffer.from([0x7b, 0x22, 0x72, 0x22, 0x3a, 0x22, 0xff, 0xc3, 0x28, 0x22, 0x7d]), step: 'body invalid utf-8' };
  return { body: Buffer.from(body), step: `body ${JSON.stringify(body.slice(0, 60))}` };
}

/** One path damage beyond its id: what a client's base URL or a proxy makes of it. */
function wrongPath(rng: Rng, path: string): { path: string; step: string } {
  const damaged = pick(rng, [
    `${path}/`,
    `/${path}`,
    path.toUpperCase(),
    `/v1${path}`,
    `${path}/extra`,
    `${path}/..`,
    path.replace(/\/([^/]*)$/, '/../$1'),
    path.replace(/s/g, '%73'),
    `${path}%00`,
    `${path};x=1`,
  ]);
  return { path: damaged, step: `path ${damaged.slice(0, 120)}` };
}

/**
 * `count` cases over every route, reproducible from `seed`, made one at a time: `secrets` is read as
 * each is made, so a case names the victim key the app has then.
 */
export function* routeCases(seed: number, count: number, secrets: Secrets): Generator<RouteCase> {
  const rng = seededRandom(seed);
  for (let i = 0; i < count; i++) {
    const route = pick(rng, ROUTES);
    const steps: string[] = [];
    const caller = rng() < 0.5 ? (route.allowed === 'public' ? pick(rng, CALLERS) : pick(rng, route.allowed)) : pick(rng, CALLERS);
    let method: string = route.method;
    if (rng() < 0.12) {
      method = pick(rng, METHODS);
      steps.push(`method ${method}`);
    }
    let id = route.ids ? pick(rng, route.ids(secrets)) : '';
    if (route.ids && rng() < 0.5) {
      id = wrongId(rng, secrets);
      steps.push(`id ${JSON.stringify(id.slice(0, 60))}`);
    }
    let path = route.path.replace('{id}', id);
    if (rng() < 0.1) {
      const p = wrongPath(rng, path);
      path = p.path;
      steps.push(p.step);
    }
    let query = route.queries ? pick(rng, route.queries) : '';
    if (rng() < (route.queries ? 0.6 : 0.1)) {
      const q = wrongQuery(rng, query, secrets);
      query = q.query;
      steps.push(q.step);
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (rng() < 0.15) {
      const [name, values] = pick(rng, HEADER_DAMAGE);
      headers[name] = pick(rng, values);
      steps.push(`header ${name}: ${JSON.stringify((headers[name] as string).slice(0, 40))}`);
    }
    let body: Buffer | undefined;
    if (route.bodies) {
      const valid = structuredClone(pick(rng, route.bodies));
      const r = rng();
      if (r < 0.45) {
        const enums = [...stringsOf(route.bodies)];
        const m = mutateJson(rng, valid, { freeForm: () => false }, enums.length > 0 ? enums : ['x']);
        // A body of one key may lose it: then the key itself is the damage.
        const text = m.steps.length > 0 ? m.text : JSON.stringify({ ...valid, fuzz_unknown: 1 });
        body = Buffer.from(text);
        steps.push(`body ${m.steps.join(', ') || 'unknown key'}`);
      } else if (r < 0.7) {
        const w = wrongBody(rng);
        body = w.body;
        steps.push(w.step);
      } else body = Buffer.from(JSON.stringify(valid));
    } else if (rng() < 0.1) {
      const w = wrongBody(rng);
      body = w.body;
      steps.push(w.step);
    }
    yield { label: `seed ${seed} #${i} ${caller} ${method} ${path.slice(0, 120)}${query ? `?${query.slice(0, 60)}` : ''} ${steps.join('; ')}`, seed: route, caller, method, path, query, headers, body };
  }
}
