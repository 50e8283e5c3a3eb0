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
}

export const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

const isParam = (segment: string): boolean => segment.length > 2 && segment.startsWith('{') && segment.endsWith('}');

/**
 * The routes by path, then by method. Exact paths are one map lookup (the API's hot path); paths with
 * `{name}` segments (admin routes) are tried in order only when no exact path matched.
 */
export class RouteTable {
  private readonly exact = new Map<string, Map<string, Entry>>();
  private readonly patterns: Pattern[] = [];

  add(route: Route, ingress: Ingress): void {
    const segments = route.path.split('/');
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
    if (methods) return { entry: methods.get(method), params: NO_PARAMS, knownPath: true };
    if (this.patterns.length === 0) return { entry: undefined, params: NO_PARAMS, knownPath: false };
    const parts = path.split('/');
    for (const p of this.patterns) {
      const params = matchSegments(p.segments, parts);
      if (params) return { entry: p.methods.get(method), params, knownPath: true };
    }
    return { entry: undefined, params: NO_PARAMS, knownPath: false };
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
