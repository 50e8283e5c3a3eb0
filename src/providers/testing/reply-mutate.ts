/**
 * A seeded mutator of upstream replies for the upstream fuzz spec: from a valid seed (`upstream-seeds.ts`)
 * it damages the JSON of the answer or of one event (with the doors' fuzzer's `mutateJson`), the usage
 * counts (negative, huge, NaN-like), the stream's order and end (events dropped, doubled, swapped, the end
 * marker twice or never), the SSE framing, Bedrock's event-stream frames (CRCs, lengths, headers), the
 * bytes (truncation at a class of offset, cleanly or with the connection dropped) and the HTTP exchange
 * (status, content type, odd error bodies), and splits the bytes across writes. Deterministic for a
 * seed; the label names what was done.
 */
import { seededRandom } from '../../core/random.js';
import { mutateJson, pathsOf, pick, stringsOf, type Path, type Rng } from '../../ingress/testing/mutate.js';
import { eventFrame, exceptionFrame } from '../../sim/bedrock/eventstream.js';
import { UPSTREAM_CANARY, type ReplySeed, type StreamEvent, type Wire } from './upstream-seeds.js';

export interface MutatedReply {
  label: string;
  /** Whether the client asks for a stream. */
  stream: boolean;
  status: number;
  headers: Record<string, string>;
  /** The body, written one piece at a time. */
  chunks: Buffer[];
  /** Drops the connection after the last piece rather than ending the answer. */
  drop: boolean;
}

const NO_FREE_FORM = { freeForm: (): boolean => false };
const USAGE_KEY = /token|usage/i;
const ODD_COUNTS: readonly unknown[] = [-1, -9_000_000_000, 1e308, 2 ** 53 + 1, 0.5, 'NaN', 'Infinity', '12', null, true, [], {}, 1e12];
const ODD_STRINGS = [UPSTREAM_CANARY, `\u0000\u0007\u001b[31m${UPSTREAM_CANARY}`, 'nul\u0000 lone \ud800 rtl \u202e emoji \u{1f600}', 'NaN', '', '__proto__', `</script>${UPSTREAM_CANARY}`];
const ODD_BODIES = ['', 'null', '[]', '"x"', '{}', `<html><body>502 Bad Gateway ${UPSTREAM_CANARY}</body></html>`, `${UPSTREAM_CANARY} `.repeat(20_000), `{"error":"${UPSTREAM_CANARY}"}`, `{"error":{"message":{"text":"${UPSTREAM_CANARY}"}}}`, `{"message":5,"error":null,"type":"${UPSTREAM_CANARY}"}`, `{"error":{"message":"${UPSTREAM_CANARY}"`, '\u0000\u0001\u0002', `{"__proto__":{"message":"${UPSTREAM_CANARY}"}}`];
const STATUSES = [200, 201, 202, 204, 206, 299, 301, 304, 400, 401, 403, 404, 408, 409, 413, 422, 424, 429, 451, 499, 500, 501, 502, 503, 504, 529, 599];
const CONTENT_TYPES = ['text/html', 'text/plain', 'application/json', 'text/event-stream', 'application/vnd.amazon.eventstream', 'application/octet-stream', 'application/json; charset=utf-16', '', 'application/x-ndjson'];
const ODD_HEADERS: ReadonlyArray<[string, readonly string[]]> = [
  ['retry-after', ['-1', '1e400', 'NaN', '99999999999', 'Wed, 21 Oct 2015 07:28:00 GMT', 'soon', '0.001']],
  ['retry-after-ms', ['-5', 'NaN', '1e30']],
  ['x-amzn-errortype', ['', ':', '__proto__', 'ThrottlingException', `${UPSTREAM_CANARY}Exception`, 'ValidationException:x:y']],
  ['x-ratelimit-remaining-requests', ['-1', 'NaN', '']],
  ['content-encoding', ['gzip', 'br']],
];

/** The content type of a reply of `wire`. */
export function contentType(wire: Wire, stream: boolean): string {
  if (!stream) return 'application/json';
  return wire === 'bedrock' ? 'application/vnd.amazon.eventstream' : 'text/event-stream';
}

/** One event's bytes in its wire format's framing. */
export function encodeEvent(wire: Wire, e: StreamEvent): Buffer {
  const text = typeof e.data === 'string' ? e.data : JSON.stringify(e.data);
  if (wire === 'bedrock') {
    const payload = typeof e.data === 'string' ? e.data : e.data;
    return Buffer.from(e.exception ? exceptionFrame(e.name ?? 'x', payload) : eventFrame(e.name ?? 'x', payload));
  }
  return Buffer.from(`${e.name === undefined ? '' : `event: ${e.name}\n`}data: ${text}\n\n`);
}

/** Sets `value` at a random path of `root` whose key matches `key` (or any path when none does). */
function setSomewhere(rng: Rng, root: unknown, key: RegExp, value: unknown): string | undefined {
  const paths = pathsOf(root);
  const fit = paths.filter((p) => key.test(String(p[p.length - 1])));
  const path: Path | undefined = pick(rng, fit.length > 0 ? fit : paths);
  if (path === undefined) return undefined;
  let node = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  node[path[path.length - 1] as string | number] = value;
  return path.join('.');
}

/** Damages the JSON of an answer or event in place; returns raw text when the damage needs it. */
function damageJson(rng: Rng, data: Record<string, unknown>, enums: readonly string[], steps: string[]): string | undefined {
  const r = rng();
  if (r < 0.3) {
    const value = pick(rng, ODD_COUNTS);
    const where = setSomewhere(rng, data, USAGE_KEY, value);
    if (where !== undefined) steps.push(`${where}=${JSON.stringify(value)}`);
    return undefined;
  }
  if (r < 0.45) {
    const value = pick(rng, ODD_STRINGS);
    const where = setSomewhere(rng, data, /text|message|name|content|reason|type|id/i, value);
    if (where !== undefined) steps.push(`${where}=${JSON.stringify(value.slice(0, 20))}`);
    return undefined;
  }
  const m = mutateJson(rng, data, NO_FREE_FORM, enums);
  steps.push(...m.steps);
  return m.text;
}

/** Reorders, drops or doubles events: what a broken or replayed stream does. */
function damageOrder(rng: Rng, events: StreamEvent[], steps: string[]): void {
  const i = Math.floor(rng() * events.length);
  const last = events.length - 1;
  switch (Math.floor(rng() * 7)) {
    case 0:
      events.splice(i, 1);
      steps.push(`drop event ${i}`);
      break;
    case 1:
      events.splice(i, 0, structuredClone(events[i] as StreamEvent));
      steps.push(`event ${i} twice`);
      break;
    case 2:
      if (i < last) events.splice(i, 2, events[i + 1] as StreamEvent, events[i] as StreamEvent);
      steps.push(`swap events ${i},${i + 1}`);
      break;
    case 3:
      events.push(structuredClone(events[last] as StreamEvent), structuredClone(events[last] as StreamEvent));
      steps.push('end marker three times');
      break;
    case 4:
      events.splice(last, 1);
      steps.push('no end marker');
      break;
    case 5:
      events.unshift(structuredClone(events[last] as StreamEvent));
      steps.push('end marker first');
      break;
    default:
      events.reverse();
      steps.push('events reversed');
  }
}

/** Breaks the SSE framing of the encoded text. */
function damageSse(rng: Rng, text: string, steps: string[]): string {
  const forms: Array<[string, (t: string) => string]> = [
    ['no blank lines', (t) => t.replace(/\n\n/g, '\n')],
    ['crlf', (t) => t.replace(/\n/g, '\r\n')],
    ['bare cr', (t) => t.replace(/\n/g, '\r')],
    ['data: without space', (t) => t.replace(/data: /g, 'data:')],
    ['comments between', (t) => t.replace(/\n\n/g, '\n\n: keep-alive\n\n')],
    ['unknown fields', (t) => t.replace(/\n\n/g, '\nretry: x\nid: \u0000\n\n')],
    ['bom first', (t) => `\ufeff${t}`],
    ['no final blank line', (t) => t.replace(/\n+$/, '')],
    ['data split over two lines', (t) => t.replace(/data: (.{3})/, 'data: $1\ndata: ')],
    ['empty data events', (t) => t.replace(/\n\n/, '\n\ndata:\n\ndata: \n\n')],
    ['garbage line', (t) => t.replace(/\n\n/, `\n\ndata: {not json ${UPSTREAM_CANARY}\n\n`)],
    ['event: error named', (t) => t.replace(/data: /, 'event: error\ndata: ')],
    ['data: [DONE] early', (t) => `data: [DONE]\n\n${t}`],
  ];
  const [name, f] = pick(rng, forms);
  steps.push(name);
  return f(text);
}

/** Corrupts one event-stream frame's bytes. */
function damageFrame(rng: Rng, frames: Buffer[], steps: string[]): void {
  const i = Math.floor(rng() * frames.length);
  const f = Buffer.from(frames[i] as Buffer);
  const kind = Math.floor(rng() * 7);
  if (kind === 0) f[f.length - 1] = (f[f.length - 1] as number) ^ 0xff;
  else if (kind === 1) f[11] = (f[11] as number) ^ 0x01;
  else if (kind === 2) f.writeUInt32BE(pick(rng, [0, 15, 16, f.length + 1, f.length - 1, 0xffffffff, 16 * 1024 * 1024 + 1]), 0);
  else if (kind === 3) f.writeUInt32BE(pick(rng, [0, f.length, 0xffff, f.length - 16]), 4);
  else if (kind === 4) f[12] = (f[12] as number) ^ 0x40;
  else if (kind === 5) f[Math.floor(f.length / 2)] = (f[Math.floor(f.length / 2)] as number) ^ 0x20;
  else {
    frames.splice(i, 0, Buffer.from(exceptionFrame(pick(rng, ['modelStreamErrorException', 'internalServerException', 'validationException', '__proto__', '']), { message: UPSTREAM_CANARY })));
    steps.push(`exception frame before ${i}`);
    return;
  }
  frames[i] = f;
  steps.push(`frame ${i} corrupt #${kind}`);
}

/** Where to cut: a class of offset, so every class is reached at any case count. */
function cutAt(rng: Rng, bytes: Buffer, boundaries: readonly number[]): { at: number; label: string } {
  const classes: Array<[string, () => number]> = [
    ['empty', () => 0],
    ['first byte', () => 1],
    ['inside the first event', () => Math.min(bytes.length, 2 + Math.floor(rng() * 20))],
    ['at an event boundary', () => pick(rng, boundaries)],
    ['just past an event boundary', () => Math.min(bytes.length, pick(rng, boundaries) + 1 + Math.floor(rng() * 11))],
    ['middle', () => Math.floor(rng() * bytes.length)],
    ['last byte missing', () => Math.max(0, bytes.length - 1)],
  ];
  const [label, f] = pick(rng, classes);
  return { at: f(), label };
}

/** One mutated reply of `seeds`, for the case `index` of `seed`. */
function mutateOne(rng: Rng, wire: Wire, seeds: readonly ReplySeed[], enums: readonly string[], label: string): MutatedReply {
  const seed = structuredClone(pick(rng, seeds));
  const steps: string[] = [`${wire} ${seed.label}`];
  let stream = seed.kind === 'stream' || rng() < 0.3;
  let status = seed.kind === 'json' ? seed.status : 200;
  const headers: Record<string, string> = { 'content-type': contentType(wire, seed.kind === 'stream'), ...(seed.kind === 'json' ? seed.headers : {}) };
  let bytes: Buffer;
  let boundaries: number[] = [];
  const r = rng();
  if (seed.kind === 'json') {
    const raw = r < 0.55 ? damageJson(rng, seed.body, enums, steps) : undefined;
    bytes = Buffer.from(raw ?? JSON.stringify(seed.body));
  } else {
    const events = seed.events;
    let raw: Map<StreamEvent, string> | undefined;
    if (r < 0.35) {
      const objects = events.filter((e) => typeof e.data === 'object' && e.data !== null);
      const target = pick(rng, objects);
      if (target !== undefined) {
        steps.push(`event ${events.indexOf(target)}:`);
        const text = damageJson(rng, target.data as Record<string, unknown>, enums, steps);
        if (text !== undefined) raw = new Map([[target, text]]);
      }
    } else if (r < 0.55) damageOrder(rng, events, steps);
    let pieces = events.map((e) => {
      const text = raw?.get(e);
      if (text === undefined) return encodeEvent(wire, e);
      // Raw JSON text (duplicated keys, raw numbers) cannot go through the frame encoder's JSON.stringify.
      return wire === 'bedrock' ? Buffer.from(e.exception ? exceptionFrame(e.name ?? 'x', JSON.parse(text) as unknown) : eventFrame(e.name ?? 'x', JSON.parse(text) as unknown)) : Buffer.from(`${e.name === undefined ? '' : `event: ${e.name}\n`}data: ${text}\n\n`);
    });
    if (r >= 0.55 && r < 0.7) {
      if (wire === 'bedrock') damageFrame(rng, pieces, steps);
      else pieces = [Buffer.from(damageSse(rng, Buffer.concat(pieces).toString('utf8'), steps))];
    }
    let at = 0;
    boundaries = [0, ...pieces.map((p) => (at += p.length))];
    bytes = Buffer.concat(pieces);
  }
  let drop = false;
  const h = rng();
  if (h < 0.12) {
    const cut = cutAt(rng, bytes, boundaries.length > 0 ? boundaries : [0, bytes.length]);
    bytes = bytes.subarray(0, cut.at);
    drop = rng() < 0.5;
    steps.push(`cut ${cut.label} (${cut.at})${drop ? ', connection dropped' : ''}`);
  } else if (h < 0.2) {
    status = pick(rng, STATUSES);
    steps.push(`status ${status}`);
  } else if (h < 0.28) {
    status = pick(rng, STATUSES.filter((s) => s >= 400));
    bytes = Buffer.from(pick(rng, ODD_BODIES));
    headers['content-type'] = pick(rng, CONTENT_TYPES);
    steps.push(`status ${status} with body ${JSON.stringify(bytes.toString('utf8').slice(0, 40))}`);
  } else if (h < 0.34) {
    headers['content-type'] = pick(rng, CONTENT_TYPES);
    steps.push(`content-type ${JSON.stringify(headers['content-type'])}`);
  } else if (h < 0.4) {
    const [name, values] = pick(rng, ODD_HEADERS);
    headers[name] = pick(rng, values);
    if (rng() < 0.5 && status < 400) status = pick(rng, [429, 503]);
    steps.push(`header ${name}: ${headers[name]} (status ${status})`);
  } else if (h < 0.45) {
    stream = !stream;
    steps.push('the other mode asked');
  }
  // Split the bytes across writes: a decoder must carry a frame, a line or a character over.
  const chunks: Buffer[] = [];
  if (bytes.length > 1 && rng() < 0.5) {
    const cuts = [...new Set(Array.from({ length: 1 + Math.floor(rng() * 5) }, () => 1 + Math.floor(rng() * (bytes.length - 1))))].sort((a, b) => a - b);
    let from = 0;
    for (const c of cuts) {
      chunks.push(bytes.subarray(from, c));
      from = c;
    }
    chunks.push(bytes.subarray(from));
    steps.push(`split at ${cuts.join('/')}`);
  } else chunks.push(bytes);
  return { label: `${label} ${stream ? 'stream ' : ''}${steps.join(', ')}`, stream, status, headers, chunks, drop };
}

/** `count` mutated replies of a wire format's seeds, reproducible from `seed`. */
export function mutatedReplies(seed: number, count: number, wire: Wire, seeds: readonly ReplySeed[]): MutatedReply[] {
  const rng = seededRandom(seed);
  const enums = [...stringsOf(seeds.map((s) => (s.kind === 'json' ? s.body : s.events)))].filter((s) => s.length > 0 && s.length < 24);
  return Array.from({ length: count }, (_, i) => mutateOne(rng, wire, seeds, enums, `seed ${seed} #${i}`));
}

/** Each seed unchanged, in the mode it is for: the fuzzer starts from replies the gateway takes. */
export function validReplies(wire: Wire, seeds: readonly ReplySeed[]): Array<MutatedReply & { ok: boolean }> {
  return seeds.map((s) => {
    const stream = s.kind === 'stream';
    const body = s.kind === 'json' ? Buffer.from(JSON.stringify(s.body)) : Buffer.concat(s.events.map((e) => encodeEvent(wire, e)));
    return { label: `${wire} ${s.label}`, stream, status: s.kind === 'json' ? s.status : 200, headers: { 'content-type': contentType(wire, stream), ...(s.kind === 'json' ? s.headers : {}) }, chunks: [body], drop: false, ok: s.fails !== true };
  });
}
