/**
 * A seeded mutator of JSON request bodies for the front doors' fuzz spec: it walks every path of a valid
 * seed and damages one to three of them (a value of the wrong type or range, a deletion, an unknown or
 * prototype key, a duplicated key, a raw number JSON.stringify cannot write), and now and then the bytes
 * (invalid UTF-8, a BOM, truncation, a body that is no object). Deterministic for a seed, so a failing
 * case is named by its seed and index and replays.
 */
import { seededRandom } from '../../core/random.js';

export type Rng = () => number;
export type Path = ReadonlyArray<string | number>;
type Container = Record<string | number, unknown>;

export interface MutatedBody {
  /** Reproduces the case: what was done where. */
  label: string;
  body: Buffer;
  /**
   * The unknown key planted outside every free-form part of the body (tool schemas, tool input), which
   * must then never reach an upstream; undefined when none was planted or only inside such a part.
   */
  canary: string | undefined;
  /** Request headers added to (or replacing) the door's usual ones. */
  headers: Record<string, string>;
  /** The raw query string. */
  query: string;
}

export interface MutateOptions {
  /** True for a path whose contents an upstream receives verbatim (a JSON Schema, a tool call's input). */
  freeForm(path: Path): boolean;
}

/** The unknown key whose arrival upstream proves the body was copied rather than built from an allow-list. */
export const CANARY = 'fuzz_canary_key';
/** The unknown key planted inside a free-form part, which an upstream may receive. */
const FREE_KEY = 'fuzz_free_key';

/** Keys that break code which copies client objects by assignment or looks keys up on a prototype. */
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

/** Raw JSON numbers JSON.stringify never writes: Infinity after parsing, zero, a precision loss, -0. */
const RAW_NUMBERS = ['1e400', '-1e400', '1e-400', '123456789012345678901234567890', '-0', '0.0000000000000000000001', '9007199254740993'];

function nested(depth: number): unknown {
  let v: unknown = 'deep';
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { a: v };
  return v;
}

/** Defines (never assigns: `__proto__` must stay a key) `value` at `key` of `node`. */
function define(node: Container, key: string | number, value: unknown): void {
  Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
}

/** An object with an own `__proto__` (as JSON.parse makes one), not a changed prototype. */
function withOwnProto(): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  define(o, '__proto__', { polluted: true });
  define(o, 'constructor', { prototype: { polluted: true } });
  return o;
}

/** Values of every JSON type at its edges; strings an enum or a number parser might half-take. */
const WEIRD: ReadonlyArray<(rng: Rng) => unknown> = [
  () => null,
  () => true,
  () => false,
  () => 0,
  () => -1,
  () => -0.5,
  () => 1e308,
  () => -1e308,
  () => 2 ** 53 + 2,
  () => 0.5,
  () => 3.7,
  () => 4_294_967_297,
  () => '',
  () => ' ',
  () => 'NaN',
  () => 'Infinity',
  () => '-1',
  () => '1e999',
  () => '0x10',
  () => 'true',
  () => 'null',
  () => 'undefined',
  () => '__proto__',
  () => 'constructor',
  () => 'nul\u0000 lone \ud800 low \udfff emoji \u{1f600} rtl \u202e',
  () => '\ud83d',
  (rng) => 'x'.repeat(pick(rng, [300, 5_000, 70_000])),
  () => [],
  () => [null],
  () => [[]],
  () => ['a', 1, {}],
  () => ({}),
  // String() of this throws: an error message must never call it on a client's value.
  () => ({ toString: 1, valueOf: 1 }),
  () => withOwnProto(),
  (rng) => nested(1 + Math.floor(rng() * 120)),
  (rng) => Array.from({ length: 1 + Math.floor(rng() * 300) }, () => 'y'),
  (rng) => Array.from({ length: 1 + Math.floor(rng() * 40) }, () => ({})),
];

export function pick<T>(rng: Rng, list: readonly T[]): T {
  return list[Math.floor(rng() * list.length)] as T;
}

/** Every path into `value` down to `maxDepth`, the root's keys first; array items and object keys alike. */
export function pathsOf(value: unknown, maxDepth = 8, prefix: Path = []): Path[] {
  if (prefix.length >= maxDepth || typeof value !== 'object' || value === null) return [];
  const out: Path[] = [];
  const entries: Array<[string | number, unknown]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [k, v] of entries) {
    const p = [...prefix, k];
    out.push(p, ...pathsOf(v, maxDepth, p));
  }
  return out;
}

function at(root: unknown, path: Path): unknown {
  let node: unknown = root;
  for (const k of path) node = (node as Container | undefined)?.[k];
  return node;
}

/** Strings the seeds use as enum values, so one slot gets another slot's value (a wrong but plausible enum). */
export function stringsOf(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string' && value.length < 40) out.add(value);
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) stringsOf(v, out);
  return out;
}

/** A value for `path` that is wrong for it: another type, an edge, or a near miss of the value there. */
export function wrongValue(rng: Rng, current: unknown, enums: readonly string[]): { value: unknown; label: string } {
  const r = rng();
  if (typeof current === 'string' && r < 0.15) {
    const miss = pick(rng, [current.toUpperCase(), `${current} `, `${current}\u0000`, current.slice(0, -1), `${current}_x`]);
    return { value: miss, label: 'near miss' };
  }
  // A string where code may look it up in a table (a media type, a role, a name): the prototype's names.
  if (typeof current === 'string' && r < 0.3) {
    const value = pick(rng, PROTOTYPE_KEYS);
    return { value, label: `'${value}'` };
  }
  if (r < 0.4) {
    const value = pick(rng, enums);
    return { value, label: `'${value}'` };
  }
  const w = Math.floor(rng() * WEIRD.length);
  return { value: (WEIRD[w] as (r: Rng) => unknown)(rng), label: `weird#${w}` };
}

/** The mutations of one case: each changes the parsed body in place, or registers a text edit. */
class Mutation {
  readonly steps: string[] = [];
  /** Placeholder string → raw JSON text put in its place after serializing. */
  readonly raw = new Map<string, string>();
  canary: string | undefined;

  constructor(
    private readonly rng: Rng,
    private readonly body: Record<string, unknown>,
    private readonly options: MutateOptions,
    private readonly enums: readonly string[],
  ) {}

  private placeholder(text: string): string {
    const key = `@@raw${this.raw.size}@@`;
    this.raw.set(key, text);
    return key;
  }

  apply(path: Path): void {
    const { rng } = this;
    const parent = path.length === 1 ? this.body : at(this.body, path.slice(0, -1));
    if (typeof parent !== 'object' || parent === null) return;
    const node = parent as Container;
    const key = path[path.length - 1] as string | number;
    const where = path.join('.');
    const r = rng();
    if (r < 0.12) {
      if (Array.isArray(node) && typeof key === 'number') node.splice(key, 1);
      else delete node[key];
      this.steps.push(`delete ${where}`);
    } else if (r < 0.3) {
      this.unknownKey(path, at(this.body, path));
    } else if (r < 0.4 && !Array.isArray(node)) {
      this.duplicate(node, String(key), where);
    } else if (r < 0.47) {
      define(node, key, this.placeholder(pick(rng, RAW_NUMBERS)));
      this.steps.push(`${where}=raw number`);
    } else {
      const { value, label } = wrongValue(rng, node[key], this.enums);
      define(node, key, value);
      this.steps.push(`${where}=${label}`);
    }
  }

  /** Plants an unknown key in the object at `path` (or its parent when that is no object). */
  private unknownKey(path: Path, target: unknown): void {
    let objPath = path;
    let obj = target;
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      objPath = path.slice(0, -1);
      obj = objPath.length === 0 ? this.body : at(this.body, objPath);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return;
    const free = this.options.freeForm(objPath);
    // Free-form parts go upstream whole, the key with them: it is planted there under another name.
    const name = this.rng() < 0.5 ? (free ? FREE_KEY : CANARY) : pick(this.rng, PROTOTYPE_KEYS);
    const { value, label } = wrongValue(this.rng, undefined, this.enums);
    define(obj as Container, name, value);
    if (name === CANARY) this.canary = CANARY;
    this.steps.push(`${[...objPath, name].join('.')}=${label} (unknown key)`);
  }

  /** Writes `key` twice, a wrong value before or after the right one (JSON.parse keeps the last). */
  private duplicate(node: Container, key: string, where: string): void {
    const { value, label } = wrongValue(this.rng, node[key], this.enums);
    const stand = `@@dup${this.raw.size}@@`;
    this.raw.set(`"${stand}"`, JSON.stringify(key));
    const entries = Object.entries(node);
    for (const k of Object.keys(node)) delete node[k];
    const wrongFirst = this.rng() < 0.5;
    if (wrongFirst) define(node, stand, value);
    for (const [k, v] of entries) define(node, k, v);
    if (!wrongFirst) define(node, stand, value);
    this.steps.push(`${where} twice, ${label} ${wrongFirst ? 'first' : 'last'}`);
  }

  text(): string {
    let text = JSON.stringify(this.body);
    for (const [stand, raw] of this.raw) text = text.split(stand.startsWith('"') ? stand : `"${stand}"`).join(raw);
    return text;
  }
}

/** Damage done to the serialized body's bytes instead of a value. */
function rawDamage(rng: Rng, text: string): { body: Buffer; label: string } {
  const bytes = Buffer.from(text, 'utf8');
  const inString = Math.max(2, text.indexOf('"', text.indexOf(':') + 1) + 1);
  switch (Math.floor(rng() * 8)) {
    case 0:
      return { body: Buffer.concat([bytes.subarray(0, inString), Buffer.from([0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xf4, 0x90]), bytes.subarray(inString)]), label: 'invalid utf-8 in a string' };
    case 1:
      return { body: bytes.subarray(0, Math.floor(rng() * bytes.length)), label: 'truncated' };
    case 2:
      return { body: Buffer.from(`${'['.repeat(50_000)}${']'.repeat(50_000)}`), label: 'deep array' };
    case 3:
      return { body: Buffer.from(pick(rng, ['[]', '1', '"x"', 'null', 'true', '', ' ', '{}', '[{}]', '{"__proto__":{}}'])), label: 'not a request object' };
    case 4:
      return { body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]), label: 'utf-8 bom' };
    case 5:
      return { body: Buffer.from(text.replace('{', '{"\\u0000":1,"\\ud800":2,')), label: 'control and lone-surrogate keys' };
    case 6:
      return { body: Buffer.concat([bytes, Buffer.from(pick(rng, [' {}', ',', '\u0000', 'garbage']))]), label: 'trailing bytes' };
    default:
      return { body: Buffer.from(text, 'utf16le'), label: 'utf-16' };
  }
}

/** Headers a client may get wrong, and what each may wrongly say. */
const HEADERS: ReadonlyArray<[string, readonly string[]]> = [
  ['content-type', ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', '', 'application/json, text/plain']],
  ['content-encoding', ['gzip', 'br', 'identity, gzip']],
  ['x-switchyard-deployment', ['nope', '', ' ', '__proto__', 'constructor', 'toString', 'openai', 'anthropic', 'gemini', 'x'.repeat(300)]],
  ['x-switchyard-task', ['', '__proto__', 'summarise', 'x'.repeat(300)]],
  ['x-switchyard-cache', ['ON', 'maybe', '', 'on', 'off']],
  ['x-switchyard-tool-side-effects', ['yes', 'TRUE', '']],
  ['x-switchyard-residency', ['eu', '', '__proto__', 'constructor']],
  ['x-switchyard-extensions', ['true', 'false', 'nope']],
  ['x-request-id', ['a'.repeat(500), 'bad id', '__proto__', '', 'req_1']],
  ['anthropic-version', ['', '9999-99-99', 'x'.repeat(100), '2023-06-01\r\nx: y', '2026-10-21']],
  ['anthropic-beta', ['prompt-caching-2024-07-31', '', '__proto__']],
  ['traceparent', ['00-xyz', '00-00000000000000000000000000000000-0000000000000000-01', 'x'.repeat(600)]],
  ['tracestate', ['a=b', ',,,', '=']],
  ['accept', ['text/event-stream', 'application/xml', '']],
  ['authorization', ['Bearer wrong', 'Basic Zm9vOmJhcg==', '']],
  ['x-api-key', ['wrong', '']],
  ['origin', ['https://evil.example', 'null']],
  ['sec-fetch-site', ['cross-site', 'same-origin']],
];

const QUERIES = ['stream=true', 'beta=true', 'api-version=2024-10-21', '__proto__=1&constructor=2', '%', '%E0%A4%A', `a=${'x'.repeat(3_000)}`, 'model=openai', 'a=1&a=2'];

/** Now and then, headers and a query string a client got wrong. */
function exchangeDamage(rng: Rng): { headers: Record<string, string>; query: string; steps: string[] } {
  const headers: Record<string, string> = {};
  const steps: string[] = [];
  let query = '';
  if (rng() < 0.2) {
    for (let n = 1 + Math.floor(rng() * 2); n > 0; n--) {
      const [name, values] = pick(rng, HEADERS);
      const value = pick(rng, values);
      headers[name] = value;
      steps.push(`header ${name}: ${JSON.stringify(value.slice(0, 40))}`);
    }
  }
  if (rng() < 0.05) {
    query = pick(rng, QUERIES);
    steps.push(`query ${query.slice(0, 40)}`);
  }
  return { headers, query, steps };
}

/**
 * Damages one to three paths of `body` in place (see `Mutation`): the JSON text it then serializes to
 * (raw numbers and duplicated keys written in), what was done, and the canary key if one was planted.
 */
export function mutateJson(rng: Rng, body: Record<string, unknown>, options: MutateOptions, enums: readonly string[]): { text: string; steps: string[]; canary: string | undefined } {
  const mutation = new Mutation(rng, body, options, enums);
  const times = 1 + Math.floor(rng() * 3);
  for (let m = 0; m < times; m++) {
    const paths = pathsOf(body);
    if (paths.length > 0) mutation.apply(pick(rng, paths));
  }
  return { text: mutation.text(), steps: mutation.steps, canary: mutation.canary };
}

/**
 * `count` mutated bodies of `seeds`, reproducible from `seed`. `stream` makes a share of them ask for
 * a stream (the doors' flag is `stream: true` in all three APIs).
 */
export function mutatedBodies(seed: number, count: number, seeds: ReadonlyArray<Record<string, unknown>>, options: MutateOptions): MutatedBody[] {
  const rng = seededRandom(seed);
  const enums = [...stringsOf(seeds)].filter((s) => s.length > 0 && s.length < 24);
  const out: MutatedBody[] = [];
  for (let i = 0; i < count; i++) {
    const body = structuredClone(pick(rng, seeds));
    if (rng() < 0.4) body.stream = true;
    const mutation = mutateJson(rng, body, options, enums);
    const text = mutation.text;
    const { headers, query, steps } = exchangeDamage(rng);
    const label = `seed ${seed} #${i} ${body.stream === true ? 'stream ' : ''}${steps.map((s) => `${s}, `).join('')}`;
    if (rng() < 0.06) {
      const damaged = rawDamage(rng, text);
      out.push({ label: `${label}${damaged.label}`, body: damaged.body, canary: undefined, headers, query });
    } else out.push({ label: `${label}${mutation.steps.join(', ')}`, body: Buffer.from(text), canary: mutation.canary, headers, query });
  }
  return out;
}

/**
 * One body per string of every seed (outside free-form parts), that string made `__proto__`, and for a
 * dotted one (a file name, a URL) its last part: a table lookup keyed by a client's string (a media
 * type, a file extension) then finds the prototype rather than nothing, which a random mutation hits
 * too rarely for a fixed seed to keep it covered.
 */
export function prototypeSweep(seeds: ReadonlyArray<Record<string, unknown>>, options: MutateOptions): MutatedBody[] {
  const out: MutatedBody[] = [];
  for (const [s, seed] of seeds.entries()) {
    for (const path of pathsOf(seed)) {
      const value = at(seed, path);
      if (typeof value !== 'string' || options.freeForm(path)) continue;
      const dot = value.lastIndexOf('.');
      const variants = dot > 0 ? ['__proto__', `${value.slice(0, dot + 1)}__proto__`] : ['__proto__'];
      for (const v of variants) {
        const body = structuredClone(seed);
        define(at(body, path.slice(0, -1)) as Container, path[path.length - 1] as string | number, v);
        out.push({ label: `sweep seed ${s} ${path.join('.')}=${JSON.stringify(v.slice(-40))}`, body: Buffer.from(JSON.stringify(body)), canary: undefined, headers: {}, query: '' });
      }
    }
  }
  return out;
}
