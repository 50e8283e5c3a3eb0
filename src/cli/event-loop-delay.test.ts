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

describe('event-loop delay bench hook', () => {
  afterEach(() => vi.restoreAllMocks());

  it('measures between a pair of SIGUSR2s: the first starts, the second prints the delay, numbered', async () => {
    const lines: string[] = [];
    const stop = reportEventLoopDelayOnSignal((l) => lines.push(l));
    try {
      await signal();
      const until = Date.now() + 30;
      setTimeout(() => {
        while (Date.now() < until); // blocks the loop ~30 ms
      }, 1);
      await new Promise((r) => setTimeout(r, 60));
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
    expect(blocked?.max_ms).toBeGreaterThanOrEqual(20);
    expect(calm?.max_ms).toBeLessThan(20);
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
