import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../app.js';
import { resolveConfig } from '../config/load.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { AuditEntry } from '../governance/audit/chain.js';
import { anthropicShapeProblem, openAIShapeProblem } from '../ingress/testing/error-shapes.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';
import { isBodyStream, type HttpHandler, type HttpResponse } from './exchange.js';
import { createHttpHandler } from './handler.js';
import { ROUTES, routeCases, type CallerName, type RouteCase, type Secrets } from './testing/route-mutate.js';

/*
 * Every feature route of a real app (status, usage, admin operations, virtual keys, dashboard and its
 * feed, /metrics, /v1/models, count_tokens, stored responses, health checks) answers seeded mutations of valid requests
 * (methods, paths and their ids, query strings, headers, bodies) from an admin key, a user key, a scrape
 * key, a virtual key, a wrong key and no key, through the runtime-neutral handler, with a SQLite ledger
 * and virtual keys in a temp dir and an OpenAI simulator upstream. For every case: no 5xx but the
 * documented ones (503 `ledger_busy` / `ledger_unavailable`, the reload route's 501 where the runtime
 * cannot reload); an error in the OpenAI shape (the Messages door's for its paths) with a message and no
 * stack or internal text; no secret in any answer; no 2xx to a caller the route refuses; and no state
 * change from a refused request (keys, drains, breakers, a stored response, audit entries claiming success); no internal
 * error logged. SWITCHYARD_FUZZ_SEED and SWITCHYARD_FUZZ_ROUTE_CASES explore beyond the fixed run.
 */

const SEED = Number(process.env.SWITCHYARD_FUZZ_SEED ?? 20_260_415);
const CASES = Number(process.env.SWITCHYARD_FUZZ_ROUTE_CASES ?? 2_500);
const LOG = process.env.SWITCHYARD_FUZZ_LOG === '1';

const KEYS = { admin: 'sk-fuzz-admin-0123456789', user: 'sk-fuzz-user-0123456789', metrics: 'sk-fuzz-scrape-0123456789' };
const HMAC = 'an-hmac-secret-for-the-routes-fuzzer-0123';
const UPSTREAM_KEY = 'sk-upstream-key-of-the-simulator';

/** Text an error answer must never carry: a stack frame, a runtime error's name, SQL, a path of ours. */
const INTERNAL = /\n\s+at |\bat [\w.<>]+ \(|TypeError|RangeError|ReferenceError|SyntaxError: |SQLITE|sqlite|SELECT |INSERT |\/src\/|node_modules|\.ts:\d|\[object Object\]|(?<!")\bundefined\b(?!")/;

/** The 5xx a route may answer: the ledger's documented 503s, and reload where the runtime has none. */
function allowed5xx(status: number, code: unknown, path: string): boolean {
  if (status === 503) return code === 'ledger_busy' || code === 'ledger_unavailable';
  return status === 501 && code === 'reload_unsupported' && path === '/v1/switchyard/reload';
}

interface Answer {
  status: number;
  contentType: string | undefined;
  body: string;
}

/** The answer's text; a stream (the dashboard feed) read for its first frame, then returned. */
async function read(answer: HttpResponse): Promise<string> {
  if (!isBodyStream(answer.body)) return typeof answer.body === 'string' ? answer.body : Buffer.from(answer.body).toString('utf8');
  const it = answer.body[Symbol.asyncIterator]();
  const first = await it.next();
  await it.return?.();
  return first.done === true ? '' : first.value;
}

interface State {
  keys: string;
  drains: string;
  breakers: string;
  response: string;
}

describe('mutated requests to every feature route', () => {
  let sim: SimServer;
  let dir: string;
  let app: App;
  let handle: HttpHandler;
  let secrets: Secrets;
  let virtualKey: string;
  let auditSeen = 0;
  const logged: string[] = [];
  const logger: Logger = { ...silentLogger, error: (obj, msg) => logged.push(`${msg ?? ''}: ${JSON.stringify(obj).slice(0, 600)}`), child: () => logger };
  const known: string[] = [HMAC, UPSTREAM_KEY, ...Object.values(KEYS)];

  async function send(c: Pick<RouteCase, 'method' | 'path' | 'query' | 'headers' | 'body' | 'caller'>): Promise<Answer> {
    const headers: Record<string, string> = { ...c.headers };
    const key = c.caller === 'virtual' ? virtualKey : c.caller === 'wrong' ? 'sk-not-a-key-of-this-gateway' : c.caller === 'none' ? undefined : KEYS[c.caller];
    if (key !== undefined) headers.authorization = `Bearer ${key}`;
    const answer = await handle({ method: c.method, path: c.path, query: c.query, headers, body: c.body, signal: new AbortController().signal });
    return { status: answer.status, contentType: answer.headers['content-type'], body: await read(answer) };
  }

  async function newKey(policy: Record<string, unknown>): Promise<{ id: string; key: string }> {
    const a = await send({ method: 'POST', path: '/v1/switchyard/keys', query: '', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(policy)), caller: 'admin' });
    if (a.status !== 201) throw new Error(`key creation: ${a.status} ${a.body}`);
    const created = JSON.parse(a.body) as { id: string; key: string };
    known.push(created.key);
    return created;
  }

  /** A response the user key stores, for the stored-response routes. */
  async function newResponse(): Promise<string> {
    const a = await send({ method: 'POST', path: '/v1/responses', query: '', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ model: 'chat', input: 'Remember me' })), caller: 'user' });
    if (a.status !== 200) throw new Error(`response creation: ${a.status} ${a.body}`);
    return (JSON.parse(a.body) as { id: string }).id;
  }

  async function state(): Promise<State> {
    const status = app.gateway.status();
    const stored = await app.handlerOptions.conversations()?.answered(secrets.responseId, 'user').catch(() => undefined);
    return {
      keys: JSON.stringify(await app.governance.keys?.list()),
      drains: JSON.stringify(status.deployments.map((d) => [d.id, d.drain])),
      breakers: JSON.stringify(status.deployments.map((d) => [d.id, d.breaker])),
      response: JSON.stringify(stored),
    };
  }

  async function newAudit(): Promise<AuditEntry[]> {
    const entries: AuditEntry[] = [];
    for await (const page of app.governance.audit!.entries(auditSeen + 1)) entries.push(...page);
    if (entries.length > 0) auditSeen = (entries[entries.length - 1] as AuditEntry).seq;
    return entries;
  }

  beforeAll(async () => {
    sim = await startOpenAISim({ apiKey: UPSTREAM_KEY });
    dir = mkdtempSync(join(tmpdir(), 'routes-fuzz-'));
    const config = resolveConfig(
      {
        server: { body_limit_bytes: 1_000_000 },
        routing: { max_attempts_per_deployment: 1 },
        deployments: [
          { id: 'd0', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1`, api_key: UPSTREAM_KEY, tags: ['eu'] },
          { id: 'spot', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1`, api_key: UPSTREAM_KEY, interruptible: true },
        ],
        groups: [{ name: 'chat', deployments: ['d0', 'spot'] }],
        api_keys: [
          { id: 'ops', key: KEYS.admin, role: 'admin' },
          { id: 'user', key: KEYS.user },
          { id: 'scraper', key: KEYS.metrics, role: 'metrics' },
        ],
        ledger: { store: 'sqlite', path: join(dir, 'ledger.sqlite'), journal: false, spill_path: join(dir, 'spill.jsonl') },
        keys: { hmac_secret: HMAC, refresh_ms: 1_000 },
        responses: { store: { enabled: true } },
        dashboard: { enabled: true },
        observability: { metrics: { enabled: true, public: false } },
      },
      {},
    );
    app = await createApp(config, { logger });
    handle = createHttpHandler(app.gateway, app.handlerOptions);
    virtualKey = (await newKey({ owner: 'caller' })).key;
    const victim = await newKey({ owner: 'victim' });
    secrets = { all: known, virtualKey, victimId: victim.id, responseId: await newResponse() };
    // Usage for the reports to group: one answered call.
    const chat = await send({ method: 'POST', path: '/v1/chat/completions', query: '', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] })), caller: 'user' });
    expect(chat.status).toBe(200);
    await app.flush();
    await newAudit();
  });

  afterAll(async () => {
    await app.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** What is wrong with one answer, or undefined. */
  function answerProblem(c: RouteCase, a: Answer): string | undefined {
    // A key's creation and rotation answer with a new secret, once: it joins the known ones only then (`settle`).
    const leaked = secrets.all.find((s) => a.body.includes(s.slice(-16)));
    if (leaked !== undefined) return `echoes a secret (${leaked.slice(0, 10)}…)`;
    if (a.status < 400) {
      const allowed: readonly CallerName[] | 'public' = c.seed.allowed;
      if (a.status < 300 && allowed !== 'public' && !allowed.includes(c.caller) && c.method !== 'OPTIONS') return `${c.caller} got ${a.status}`;
      return undefined;
    }
    if (a.contentType !== 'application/json') return `content-type ${a.contentType}`;
    let json: unknown;
    try {
      json = JSON.parse(a.body);
    } catch {
      return 'error body is not JSON';
    }
    const messages = /\/messages(\/|$)/.test(c.path);
    const shape = messages ? anthropicShapeProblem(json) : openAIShapeProblem(json);
    if (shape) return shape;
    const error = (json as { error: { message: string; code?: unknown } }).error;
    if (a.status >= 500 && !allowed5xx(a.status, error.code, c.seed.path)) return `status ${a.status}`;
    if (error.message.trim() === '') return 'empty message';
    if (INTERNAL.test(error.message)) return 'internal text in the message';
    return undefined;
  }

  /** What a refused request changed (keys, drains, breakers, an audit entry claiming success), or undefined. */
  async function refusalProblem(before: State, audit: readonly AuditEntry[]): Promise<string | undefined> {
    const after = await state();
    if (after.keys !== before.keys) return 'a refused request changed the keys';
    if (after.drains !== before.drains) return 'a refused request changed a drain';
    if (after.breakers !== before.breakers) return 'a refused request changed a breaker';
    if (after.response !== before.response) return 'a refused request changed a stored response';
    const claimed = audit.filter((e) => !e.action.endsWith('.denied'));
    return claimed.length > 0 ? `a refused request was audited as ${claimed.map((e) => e.action).join(', ')}` : undefined;
  }

  /** An accepted request may change the app: put back so each case starts alike (nothing drained, a live victim key). */
  async function settle(c: RouteCase, a: Answer): Promise<void> {
    const minted = /"key":"(sy-[^"]+)"/.exec(a.body)?.[1];
    if (minted !== undefined) known.push(minted);
    for (const d of app.gateway.status().deployments) if (d.drain.drained) app.gateway.undrain(d.id);
    if (/\/keys\/[^/]+\/(revoke|rotate)$/.test(c.path)) secrets.victimId = (await newKey({ owner: 'victim' })).id;
    if (c.method === 'DELETE' && c.seed.path === '/v1/responses/{id}') secrets.responseId = await newResponse();
    // What settling wrote is the spec's, not the next case's.
    await newAudit();
  }

  it('answers every valid request of every route (the fuzzer starts from valid requests)', async () => {
    const failed: string[] = [];
    for (const seed of ROUTES) {
      for (const body of seed.bodies ?? [undefined]) {
        for (const query of seed.queries ?? ['']) {
          const caller = seed.allowed === 'public' ? 'none' : (seed.allowed[0] as CallerName);
          const path = seed.path.replace('{id}', seed.ids?.(secrets)[0] ?? '');
          const c: RouteCase = { label: `${seed.method} ${path}?${query}`, seed, caller, method: seed.method, path, query, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)) };
          const a = await send(c);
          const ok = a.status < 300 || (seed.path === '/v1/switchyard/reload' && a.status === 501);
          if (!ok) failed.push(`${c.label}: ${a.status} ${a.body.slice(0, 300)}`);
          await settle(c, a);
        }
      }
    }
    expect(failed).toEqual([]);
  });

  it('never answers a 5xx, an error out of shape, a secret, or a 2xx to a caller the route refuses, and a refusal changes nothing', async () => {
    const bad: string[] = [];
    for (const c of routeCases(SEED, CASES, secrets)) {
      if (LOG) console.log(c.label);
      const before = await state();
      const a = await send(c);
      const audit = await newAudit();
      const problem = answerProblem(c, a) ?? (a.status < 300 ? undefined : await refusalProblem(before, audit));
      if (problem) bad.push(`${c.label}: ${problem}: ${a.status} ${a.body.slice(0, 300)}`);
      if (a.status < 300) await settle(c, a);
    }
    expect(bad.slice(0, 30)).toEqual([]);
    expect(logged.slice(0, 5)).toEqual([]);
  }, 60_000);
});
