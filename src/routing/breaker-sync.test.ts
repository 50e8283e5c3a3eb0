import { describe, expect, it } from 'vitest';
import type { Logger } from '../core/logger.js';
import { MemoryStateStore } from '../state/memory.js';
import { BreakerSync } from './breaker-sync.js';
import type { Deployment } from './router.js';

/** A store that fails while `down`, as a Redis outage does. */
class FlakyStore extends MemoryStateStore {
  down = false;
  override getMany(keys: readonly string[]) {
    return this.down ? Promise.reject(new Error('connect ECONNREFUSED')) : super.getMany(keys);
  }
  override setIfNewer(...args: Parameters<MemoryStateStore['setIfNewer']>) {
    return this.down ? Promise.reject(new Error('connect ECONNREFUSED')) : super.setIfNewer(...args);
  }
}

function recording(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger: Logger = { debug() {}, info: (_o, m) => lines.push(`info ${m}`), warn: (_o, m) => lines.push(`warn ${m}`), error: (_o, m) => lines.push(`error ${m}`), child: () => logger };
  return { logger, lines };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('breaker sync through a failing state store', () => {
  it('logs an outage once, however many pulls and writes fail, and its end once', async () => {
    const store = new FlakyStore();
    const { logger, lines } = recording();
    const sync = new BreakerSync(store, new Map<string, Deployment>(), { intervalMs: 60_000, ttlMs: 60_000, logger });
    store.down = true;
    for (let i = 0; i < 5; i++) await expect(sync.pullOnce()).rejects.toThrow('ECONNREFUSED');
    sync.coolingPublisher('a')(Date.now() + 1000, 1000);
    sync.drainPublisher('a')({ drained: true, at: Date.now(), reason: null });
    await tick();
    expect(lines).toEqual(['warn state store failed: this replica keeps its own breaker, cool-down and drain states until it answers']);
    store.down = false;
    await sync.pullOnce();
    await sync.pullOnce();
    expect(lines.slice(1)).toEqual(['info state store answers again: breaker, cool-down and drain states shared again']);
    store.down = true;
    await sync.pullOnce().catch(() => undefined);
    expect(lines).toHaveLength(3); // the next outage is told again
  });
});
