import type { JsonObject, JsonValue } from '../core/types.js';

/**
 * Shared state of the routing engine (breakers, health) behind one small interface, so replicas can
 * share it through Redis and serverless invocations can restore it. The hot path never waits on it:
 * routers keep the live state in memory, write changes behind and pull the store on an interval.
 */
export interface StateStore {
  get(key: string): Promise<JsonValue | undefined>;
  /** Several keys in one round trip (the periodic breaker sync reads every deployment at once). */
  getMany(keys: readonly string[]): Promise<Array<JsonValue | undefined>>;
  /** Stores a value; `ttlMs` lets stale state expire when no replica refreshes it. */
  set(key: string, value: JsonValue, ttlMs?: number): Promise<void>;
  /**
   * Stores `value` unless the stored value's numeric `field` is already at least `value[field]`, so
   * the newest state wins whichever order replicas' writes land in. Returns whether it was stored.
   */
  setIfNewer(key: string, value: JsonObject, field: string, ttlMs?: number): Promise<boolean>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}
