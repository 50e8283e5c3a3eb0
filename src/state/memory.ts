import type { JsonObject, JsonValue } from '../core/types.js';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import type { StateStore } from './store.js';

/** A process-local store; values are copied in and out so callers cannot share mutable objects. */
export class MemoryStateStore implements StateStore {
  private readonly entries = new Map<string, { json: string; expiresAt: number }>();

  constructor(private readonly clock: Clock = systemClock) {}

  async get(key: string): Promise<JsonValue | undefined> {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return JSON.parse(e.json) as JsonValue;
  }

  async getMany(keys: readonly string[]): Promise<Array<JsonValue | undefined>> {
    return Promise.all(keys.map((k) => this.get(k)));
  }

  async set(key: string, value: JsonValue, ttlMs?: number): Promise<void> {
    this.entries.set(key, { json: JSON.stringify(value), expiresAt: ttlMs === undefined ? Number.POSITIVE_INFINITY : this.clock.now() + ttlMs });
  }

  async setIfNewer(key: string, value: JsonObject, field: string, ttlMs?: number): Promise<boolean> {
    const current = await this.get(key);
    const stored = typeof current === 'object' && current !== null && !Array.isArray(current) ? current[field] : undefined;
    const next = value[field];
    if (typeof stored === 'number' && typeof next === 'number' && stored >= next) return false;
    await this.set(key, value, ttlMs);
    return true;
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  /** Copies `keys` (those present and live) into `to` with their expiry: a reload hands its records to the next app's store. */
  copyTo(to: MemoryStateStore, keys: readonly string[]): void {
    const now = this.clock.now();
    for (const key of keys) {
      const e = this.entries.get(key);
      if (e && e.expiresAt > now) to.entries.set(key, { ...e });
    }
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}
