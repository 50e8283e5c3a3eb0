import type { Handlers, RpcClient } from '../cluster/rpc.js';
import type { JsonObject, JsonValue } from '../core/types.js';
import type { StateStore } from './store.js';

/** The RPC target name of the shared state store, and the topic of its change notices. */
export const STATE_TARGET = 'state';
export const STATE_CHANGED = 'state-changed';

/**
 * The primary's side: the workers' store calls run on the primary's store, and every write that
 * changed something is announced (`changed`), so workers pull at once instead of at their next sync.
 */
export function stateHandlers(store: StateStore, changed: (key: string) => void): Handlers {
  return {
    get: ([key]) => store.get(key as string),
    getMany: ([keys]) => store.getMany(keys as string[]),
    set: async ([key, value, ttlMs]) => {
      await store.set(key as string, value as JsonValue, ttlMs as number | undefined);
      changed(key as string);
    },
    setIfNewer: async ([key, value, field, ttlMs]) => {
      const stored = await store.setIfNewer(key as string, value as JsonObject, field as string, ttlMs as number | undefined);
      if (stored) changed(key as string);
      return stored;
    },
    delete: async ([key]) => {
      await store.delete(key as string);
      changed(key as string);
    },
  };
}

/**
 * A cluster worker's state store: the primary process holds the state, so every worker sees one
 * breaker per deployment. Closing it leaves the primary's state alone (a reload builds a new app).
 */
export class IpcStateStore implements StateStore {
  constructor(private readonly rpc: RpcClient) {}

  async get(key: string): Promise<JsonValue | undefined> {
    return (await this.rpc.call(STATE_TARGET, 'get', [key])) as JsonValue | undefined;
  }

  async getMany(keys: readonly string[]): Promise<Array<JsonValue | undefined>> {
    return (await this.rpc.call(STATE_TARGET, 'getMany', [keys])) as Array<JsonValue | undefined>;
  }

  async set(key: string, value: JsonValue, ttlMs?: number): Promise<void> {
    await this.rpc.call(STATE_TARGET, 'set', [key, value, ttlMs]);
  }

  async setIfNewer(key: string, value: JsonObject, field: string, ttlMs?: number): Promise<boolean> {
    return (await this.rpc.call(STATE_TARGET, 'setIfNewer', [key, value, field, ttlMs])) === true;
  }

  async delete(key: string): Promise<void> {
    await this.rpc.call(STATE_TARGET, 'delete', [key]);
  }

  async close(): Promise<void> {}
}
