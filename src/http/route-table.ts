import { GatewayError } from '../core/errors.js';
import type { Ingress, Route } from './route.js';

/** A route with the front door whose error shape it answers in. */
export interface Entry {
  readonly route: Route;
  readonly ingress: Ingress;
}

/** A path with `{name}` segments, split once. */
interface Pattern {
  readonly segments: readonly string[];
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
 * `{name}` segments (admin routes) are tried in order only when no exact path matched.
 */
export class RouteTable {
  private readonly exact = new Map<string, Map<string, Entry>>();
  private readonly patterns: Pattern[] = [];
  /** Every segment some route's path spells out (`v1`, `messages`; `''` before the first slash). */
  private readonly literals = new Set<string>();

  add(route: Route, ingress: Ingress): void {
    const segments = route.path.split('/');
    for (const s of segments) if (!isParam(s)) this.literals.add(s);
    let methods: Map<string, Entry> | undefined;
    if (segments.some(isParam)) {
      methods = this.patterns.find((p) => p.segments.join('/') === route.path)?.methods;
      if (!methods) this.patterns.push({ segments, methods: (methods = new Map()) });
    } else {
      methods = this.exact.get(route.path);
      if (!methods) this.exact.set(route.path, (methods = new Map()));
    }
    methods.set(route.method, { route, ingress });
  }

  /** Finds the route for a request; a malformed percent-encoding in a parameter is a 400. */
  find(method: string, path: string): Found {
    const methods = this.exact.get(path);
    if (methods) return { entry: entryFor(methods, method), params: NO_PARAMS, knownPath: true, methods };
    if (this.patterns.length === 0) return { entry: undefined, params: NO_PARAMS, knownPath: false, methods: undefined };
    const parts = path.split('/');
    for (const p of this.patterns) {
      const params = matchSegments(p.segments, parts);
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

function matchSegments(pattern: readonly string[], parts: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  let params: Record<string, string> | undefined;
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    const v = parts[i] as string;
    if (!isParam(p)) {
      if (p !== v) return undefined;
    } else if (v === '') return undefined;
  }
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    if (isParam(p)) (params ??= {})[p.slice(1, -1)] = decodeSegment(parts[i] as string);
  }
  return params ?? {};
}

function decodeSegment(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    throw new GatewayError({ kind: 'invalid_request', message: 'The path has a malformed percent-encoding.', code: 'invalid_path' });
  }
}
