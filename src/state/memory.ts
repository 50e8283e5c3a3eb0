import type { JsonValue } from '../core/types.js';
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

  async set(key: string, value: JsonValue, ttlMs?: number): Promise<void> {
    this.entries.set(key, { json: JSON.stringify(value), expiresAt: ttlMs === undefined ? Number.POSITIVE_INFINITY : this.clock.now() + ttlMs });
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}
