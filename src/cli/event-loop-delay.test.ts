import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { reportEventLoopDelayOnSignal } from './event-loop-delay.js';

interface Eld {
  seq: number;
  count: number;
  max_ms?: number;
}

const signal = async (): Promise<void> => {
  process.kill(process.pid, 'SIGUSR2');
  await new Promise((r) => setTimeout(r, 20));
};

/** How long the spec blocks the event loop inside the first measurement. */
const BLOCK_MS = 200;

describe('event-loop delay bench hook', () => {
  afterEach(() => vi.restoreAllMocks());

  it('measures between a pair of SIGUSR2s: the first starts, the second prints the delay, numbered', async () => {
    const lines: string[] = [];
    const stop = reportEventLoopDelayOnSignal((l) => lines.push(l));
    try {
      await signal();
      // A block far longer than any a busy machine adds, so the calm window's bound is not a timing.
      setTimeout(() => {
        const until = Date.now() + BLOCK_MS;
        while (Date.now() < until);
      }, 1);
      await new Promise((r) => setTimeout(r, BLOCK_MS + 30));
      await signal();
      await signal();
      await new Promise((r) => setTimeout(r, 20));
      await signal();
    } finally {
      stop();
    }
    const [start, blocked, restart, calm] = lines.map((l) => (JSON.parse(l) as { switchyard_eld: Eld }).switchyard_eld);
    expect([start?.seq, blocked?.seq, restart?.seq, calm?.seq]).toEqual([1, 2, 3, 4]);
    expect([start?.count, restart?.count]).toEqual([0, 0]);
    expect(blocked?.max_ms).toBeGreaterThanOrEqual(BLOCK_MS - 10);
    // The restart forgot the block.
    expect(calm?.max_ms).toBeLessThan(BLOCK_MS / 2);
  });

  it('keeps no timer running outside a measurement', async () => {
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    const proto = Object.getPrototypeOf(histogram) as { enable(): boolean; disable(): boolean };
    const enable = vi.spyOn(proto, 'enable');
    const disable = vi.spyOn(proto, 'disable');
    const stop = reportEventLoopDelayOnSignal(() => undefined);
    try {
      expect(enable).not.toHaveBeenCalled();
      await signal();
      expect(enable).toHaveBeenCalledTimes(1);
      await signal();
      expect(disable).toHaveBeenCalledTimes(1);
    } finally {
      stop();
    }
  });
});
