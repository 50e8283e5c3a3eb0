/**
 * Seeded HTTP requests as a client puts them on the wire, for the adapters' fuzzer: the request-target's
 * path (percent-encoding, dot segments, doubled slashes, unicode, a pasted secret, a huge segment) and
 * query, header lines in order (repeats differing in case, cookies, a huge value, names a plain object
 * holds on its prototype, a content coding, chunked or absent framing), and the body (JSON of the
 * path's front door, broken JSON, bytes that are not UTF-8, gzip). Each platform's model turns one into
 * what that platform hands its function. Deterministic for a seed: a case is named by seed and index.
 */
import { gzipSync } from 'node:zlib';
import { seededRandom } from '../../core/random.js';

type Rng = () => number;

export interface ClientRequest {
  /** Reproduces the case: what was varied. */
  readonly label: string;
  readonly method: string;
  /** The path as sent, percent-encoded where the client encoded it. */
  readonly path: string;
  /** The query string as sent, without `?`. */
  readonly query: string;
  /** Header lines in order, names spelled as sent. Always one `Host`. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** The body as sent (gzip bytes when it declares `Content-Encoding: gzip`). */
  readonly body: Buffer | undefined;
}

export interface Secrets {
  /** The gateway's key, sent in `Authorization` (or `x-api-key` on the Messages door). */
  readonly key: string;
  /** Values no answer may quote: pasted into a header, the query and the path. */
  readonly pasted: string;
}

const DOORS: ReadonlyArray<{ path: string; body: () => unknown }> = [
  { path: '/v1/chat/completions', body: () => ({ model: 'chat', messages: [{ role: 'user', content: 'Grüß dich 👋' }] }) },
  { path: '/v1/chat/completions', body: () => ({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'Hi' }] }) },
  { path: '/v1/messages', body: () => ({ model: 'chat', max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] }) },
  { path: '/v1/messages', body: () => ({ model: 'chat', max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'Hi' }] }) },
  { path: '/v1/messages/count_tokens', body: () => ({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] }) },
  { path: '/v1/responses', body: () => ({ model: 'chat', input: 'Hi' }) },
  { path: '/v1/embeddings', body: () => ({ model: 'chat', input: 'Hi' }) },
  { path: '/v1/models', body: () => undefined },
  { path: '/healthz', body: () => undefined },
];

const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;

/** Percent-encodes one ASCII character as a client may (`%63` for `c`). */
const pct = (c: string): string => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;

/** Path variations a client can send; none with an encoded `?` or `#`, which API Gateway's HTTP APIs cut the path at once decoded. */
const PATHS: ReadonlyArray<(path: string, rng: Rng, s: Secrets) => [string, string]> = [
  (p) => [p, 'as is'],
  (p) => [`${p}/`, 'trailing slash'],
  (p) => [p.replace('/v1/', '/v1//'), 'doubled slash'],
  (p) => [`/v1/..${p}`, 'dot-dot segment'],
  (p) => [`/v1/%2e%2e${p}`, 'encoded dot-dot segment'],
  (p, rng) => {
    const at = 1 + Math.floor(rng() * (p.length - 1));
    const c = p.charAt(at);
    return [c === '/' ? `${p.slice(0, at)}%2F${p.slice(at + 1)}` : `${p.slice(0, at)}${pct(c)}${p.slice(at + 1)}`, `char ${at} percent-encoded`];
  },
  (p) => [`${p}/%C3%BC%E2%82%AC%F0%9F%91%8B`, 'encoded unicode segment'],
  (p) => [`${p}/caf%C3%A9%20au%20lait`, 'encoded space'],
  (p, _rng, s) => [`${p}/${s.pasted}`, 'pasted secret segment'],
  (p) => [`${p}/${'x'.repeat(4_000)}`, 'huge segment'],
  (p) => [p.toUpperCase(), 'upper-case'],
];

const QUERIES: ReadonlyArray<(s: Secrets) => string> = [
  () => '',
  () => '',
  () => 'api-version=2024-10-21',
  () => 'tag=a&tag=b',
  () => 'q=caf%C3%A9%20%E2%82%AC',
  () => 'k=v%26w%3Dx',
  () => 'flag',
  (s) => `token=${s.pasted}`,
  () => `long=${'q'.repeat(3_000)}`,
];

/** Header lines added to a case, with what they are for. */
const EXTRA_HEADERS: ReadonlyArray<(rng: Rng, s: Secrets) => [ReadonlyArray<readonly [string, string]>, string]> = [
  () => [[], 'no extra header'],
  () => [[['X-Fuzz-Dup', 'one'], ['x-fuzz-dup', 'two']], 'repeat differing in case'],
  () => [[['Cookie', 'session=abc'], ['cookie', 'theme=dark; lang=en']], 'two cookie lines'],
  () => [[['x-fuzz-huge', 'h'.repeat(8_000)]], 'huge header'],
  () => [[['constructor', 'c'], ['toString', 't'], ['hasOwnProperty', 'h'], ['valueOf', 'v']], 'prototype-named headers'],
  (_rng, s) => [[['x-fuzz-secret', s.pasted]], 'secret header'],
  () => [[['x-request-id', 'req-0123'], ['X-Forwarded-For', '203.0.113.9, 10.0.0.1']], 'request id and forwarding'],
  () => [[['x-fuzz-latin1', 'caf\u00e9 cr\u00e8me']], 'latin-1 value'],
  () => [[['Accept-Encoding', 'gzip, br'], ['Accept', 'text/event-stream']], 'accept lines'],
];

type BodyKind = 'json' | 'broken json' | 'not utf-8' | 'gzip' | 'gzip garbage' | 'br declared' | 'identity declared' | 'empty' | 'large';

const BODY_KINDS: readonly BodyKind[] = ['json', 'json', 'json', 'broken json', 'not utf-8', 'gzip', 'gzip garbage', 'br declared', 'identity declared', 'empty', 'large'];

function bodyFor(kind: BodyKind, seedBody: unknown): { body: Buffer | undefined; coding: string | undefined } {
  const json = Buffer.from(JSON.stringify(seedBody ?? { model: 'chat' }), 'utf8');
  switch (kind) {
    case 'json':
      return { body: json, coding: undefined };
    case 'broken json':
      return { body: json.subarray(0, json.length - 3), coding: undefined };
    case 'not utf-8':
      return { body: Buffer.concat([json.subarray(0, 10), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), json.subarray(10)]), coding: undefined };
    case 'gzip':
      return { body: gzipSync(json), coding: 'gzip' };
    case 'gzip garbage':
      return { body: Buffer.from('not gzip at all'), coding: 'gzip' };
    case 'br declared':
      return { body: json, coding: 'br' };
    case 'identity declared':
      return { body: json, coding: 'identity' };
    case 'empty':
      return { body: Buffer.alloc(0), coding: undefined };
    case 'large': {
      const big = { ...(seedBody as Record<string, unknown>), padding: 'p'.repeat(300_000) };
      return { body: Buffer.from(JSON.stringify(big), 'utf8'), coding: undefined };
    }
  }
}

/** `count` seeded requests of every front door, varied as a client can vary them. */
export function clientRequests(seed: number, count: number, secrets: Secrets): ClientRequest[] {
  const rng = seededRandom(seed);
  const out: ClientRequest[] = [];
  for (let i = 0; i < count; i++) {
    const door = pick(rng, DOORS);
    const seedBody = door.body();
    const [path, pathLabel] = pick(rng, PATHS)(door.path, rng, secrets);
    const query = pick(rng, QUERIES)(secrets);
    const method = seedBody === undefined ? pick(rng, ['GET', 'GET', 'HEAD', 'DELETE', 'OPTIONS', 'POST']) : pick(rng, ['POST', 'POST', 'POST', 'PUT', 'GET']);
    const headers: Array<readonly [string, string]> = [['Host', 'gateway.example.com']];
    const auth = rng();
    const authLabel = auth < 0.7 ? 'key' : auth < 0.85 ? 'wrong key' : 'no key';
    if (auth < 0.85) {
      const key = auth < 0.7 ? secrets.key : secrets.pasted;
      if (door.path.startsWith('/v1/messages') && rng() < 0.5) headers.push(['x-api-key', key]);
      else headers.push([rng() < 0.5 ? 'Authorization' : 'AUTHORIZATION', `Bearer ${key}`]);
    }
    const [extra, extraLabel] = pick(rng, EXTRA_HEADERS)(rng, secrets);
    headers.push(...extra);
    let body: Buffer | undefined;
    let bodyLabel = 'no body';
    if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS' && method !== 'DELETE') {
      const kind = pick(rng, BODY_KINDS);
      const made = bodyFor(kind, seedBody);
      body = made.body;
      bodyLabel = kind;
      if (kind !== 'empty' && rng() < 0.9) headers.push(['Content-Type', pick(rng, ['application/json', 'application/json; charset=utf-8', 'text/plain', 'application/octet-stream'])]);
      if (made.coding !== undefined) headers.push(['Content-Encoding', made.coding]);
    }
    const framing = body === undefined ? 'none' : rng() < 0.3 ? 'chunked' : 'length';
    if (framing === 'chunked') headers.push(['Transfer-Encoding', 'chunked']);
    else if (body !== undefined) headers.push(['Content-Length', String(body.length)]);
    // Header order is the client's: shuffle all but Host (first, as clients send it).
    for (let k = headers.length - 1; k > 1; k--) {
      const j = 1 + Math.floor(rng() * k);
      [headers[k], headers[j]] = [headers[j] as readonly [string, string], headers[k] as readonly [string, string]];
    }
    const label = `#${i} ${method} ${door.path} (${pathLabel}) ?${query.slice(0, 30)} ${authLabel}, ${extraLabel}, ${bodyLabel}, ${framing}`;
    out.push({ label, method, path, query, headers, body });
  }
  return out;
}

/** Header names as the exchange carries them: lower-case, repeats joined with `sep` (cookies with "; "). */
export function joinedHeaders(lines: ReadonlyArray<readonly [string, string]>, sep = ', '): Record<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of lines) {
    const key = name.toLowerCase();
    const prev = out.get(key);
    out.set(key, prev === undefined ? value : prev + (key === 'cookie' ? '; ' : sep) + value);
  }
  return Object.fromEntries(out);
}

/** The query's name/value pairs, decoded (`+` stays `+`: API Gateway and ALB do not read it as a space). */
export function queryPairs(query: string): Array<[string, string]> {
  if (query === '') return [];
  return query.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    return eq === -1 ? [decode(pair), ''] : [decode(pair.slice(0, eq)), decode(pair.slice(eq + 1))];
  });
}

export function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
