import { GatewayError } from '../core/errors.js';
import type { Ingress, Route } from './route.js';

/** A route with the front door whose error shape it answers in. */
export interface Entry {
  readonly route: Route;
  readonly ingress: Ingress;
}

/** A path with `{name}` segments, split once; `rest` when its last is a `{name+}`, which takes every segment left. */
interface Pattern {
  readonly segments: readonly string[];
  readonly rest: boolean;
  readonly methods: Map<string, Entry>;
}

/** What a lookup found: the entry and its path parameters, or whether the path exists at all (405 vs 404). */
export interface Found {
  entry: Entry | undefined;
  params: Readonly<Record<string, string>>;
  knownPath: boolean;
  /** The routes of the path by method, when it is known: a 405's `Allow` header lists them. */
  methods: ReadonlyMap<string, Entry> | undefined;
}

export const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

const isParam = (segment: string): boolean => segment.length > 2 && segment.startsWith('{') && segment.endsWith('}');
const isRest = (segment: string): boolean => segment.length > 3 && isParam(segment) && segment.endsWith('+}');
const paramName = (segment: string): string => segment.slice(1, isRest(segment) ? -2 : -1);

/** The route for `method`; HEAD takes the GET route (RFC 9110: a server supporting GET supports HEAD). */
function entryFor(methods: ReadonlyMap<string, Entry>, method: string): Entry | undefined {
  return methods.get(method) ?? (method === 'HEAD' ? methods.get('GET') : undefined);
}

/** The `Allow` header of a path's 405: its methods, HEAD beside GET. */
export function allowedMethods(methods: ReadonlyMap<string, Entry>): string {
  const names = [...methods.keys()];
  if (methods.has('GET') && !methods.has('HEAD')) names.push('HEAD');
  return names.join(', ');
}

/** Past this a shown path is cut: a path of thousands of segments must not make a log line of kilobytes. */
const MAX_SHOWN_CHARS = 200;

/**
 * The routes by path, then by method. Exact paths are one map lookup (the API's hot path); paths with
 * `{name}` segments (admin routes, stored responses) are tried in order only when no exact path matched,
 * and paths ending in a `{name+}`, whose value may hold a `/` (a model id such as
 * `meta-llama/Llama-3.1-8B`), only after those: a path some fixed pattern takes is never theirs.
 */
export class RouteTable {
  private readonly exact = new Map<string, Map<string, Entry>>();
  private readonly patterns: Pattern[] = [];
  private readonly restPatterns: Pattern[] = [];
  /** Every segment some route's path spells out (`v1`, `messages`; `''` before the first slash). */
  private readonly literals = new Set<string>();

  add(route: Route, ingress: Ingress): void {
    const segments = route.path.split('/');
    if (segments.slice(0, -1).some(isRest)) throw new Error(`Route ${route.path}: only the last segment may be a {name+}.`);
    for (const s of segments) if (!isParam(s)) this.literals.add(s);
    let methods: Map<string, Entry> | undefined;
    if (segments.some(isParam)) {
      const rest = isRest(segments[segments.length - 1] as string);
      const patterns = rest ? this.restPatterns : this.patterns;
      methods = patterns.find((p) => p.segments.join('/') === route.path)?.methods;
      if (!methods) patterns.push({ segments, rest, methods: (methods = new Map()) });
    } else {
      methods = this.exact.get(route.path);
      if (!methods) this.exact.set(route.path, (methods = new Map()));
    }
    methods.set(route.method, { route, ingress });
  }

  /**
   * Finds the route for a request; a malformed percent-encoding in a parameter is a 400. `decoded`: the
   * platform decoded the path (`HttpRequest.pathDecoded`), so parameters are taken as they are.
   */
  find(method: string, path: string, decoded = false): Found {
    const methods = this.exact.get(path);
    if (methods) return { entry: entryFor(methods, method), params: NO_PARAMS, knownPath: true, methods };
    if (this.patterns.length === 0 && this.restPatterns.length === 0) return { entry: undefined, params: NO_PARAMS, knownPath: false, methods: undefined };
    const parts = path.split('/');
    for (const p of this.patterns) {
      const params = matchSegments(p, parts, decoded);
      if (params) return { entry: entryFor(p.methods, method), params, knownPath: true, methods: p.methods };
    }
    for (const p of this.restPatterns) {
      const params = matchSegments(p, parts, decoded);
      if (params) return { entry: entryFor(p.methods, method), params, knownPath: true, methods: p.methods };
    }
    return { entry: undefined, params: NO_PARAMS, knownPath: false, methods: undefined };
  }

  /**
   * A path no route took, as a log may write it: each segment no route spells out becomes `*`, so a
   * key pasted into a URL (`/v1/sk-live-.../models`) never reaches the log, while a client's mistake
   * (`/v1/v1/messages`: a base URL's `/v1` doubled) still shows. At most `MAX_SHOWN_CHARS`.
   */
  shownPath(path: string): string {
    const shown = path.split('/').map((s) => (this.literals.has(s) ? s : '*')).join('/');
    return shown.length > MAX_SHOWN_CHARS ? `${shown.slice(0, MAX_SHOWN_CHARS)}…` : shown;
  }
}

/**
 * The parameters of a path the pattern takes. A `{name+}` is the rest of the path, each segment decoded
 * and joined by `/`: `a%2Fb` as sent and `a/b` as a platform decoded it are the same value. No value
 * holds an empty, `.` or `..` part however it was written (`..`, `%2E%2E`, `a%2F..`): something that
 * puts an id in a URL or a file name later would resolve it, and read another object than the one named.
 */
function matchSegments({ segments, rest }: Pattern, parts: readonly string[], decoded: boolean): Record<string, string> | undefined {
  if (rest ? parts.length < segments.length : parts.length !== segments.length) return undefined;
  for (let i = 0; i < segments.length; i++) {
    const p = segments[i] as string;
    const v = parts[i] as string;
    if (!isParam(p)) {
      if (p !== v) return undefined;
    } else if (v === '') return undefined;
  }
  const last = segments.length - 1;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const p = segments[i] as string;
    if (!isParam(p)) continue;
    const taken = rest && i === last ? parts.slice(i) : [parts[i] as string];
    const value = taken.map((v) => (decoded ? v : decodeSegment(v))).join('/');
    if (!isPlainValue(value)) return undefined;
    params[paramName(p)] = value;
  }
  return params;
}

function isPlainValue(value: string): boolean {
  for (const part of value.split('/')) if (part === '' || part === '.' || part === '..') return false;
  return true;
}

function decodeSegment(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    throw new GatewayError({ kind: 'invalid_request', message: 'The path has a malformed percent-encoding.', code: 'invalid_path' });
  }
}
