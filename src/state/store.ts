import type { JsonValue } from '../core/types.js';

/**
 * Shared state of the routing engine (breakers, health) behind one small interface, so replicas can
 * share it through Redis and serverless invocations can restore it. The hot path never waits on it:
 * routers keep the live state in memory, write changes behind and read the store on start.
 */
export interface StateStore {
  get(key: string): Promise<JsonValue | undefined>;
  /** Stores a value; `ttlMs` lets stale state expire when no replica refreshes it. */
  set(key: string, value: JsonValue, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}
