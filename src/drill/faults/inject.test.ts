import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { Effect } from '../scenario.js';
import { combineEffects, proxyTarget, simulatorTarget } from './inject.js';

describe('drill fault targets on a simulator', () => {
  it("says why a simulator refused a fault rule, in the simulator's words", async () => {
    const sim = await startOpenAISim({ models: ['gpt-4o-mini'] });
    try {
      const target = simulatorTarget('primary', sim.url);
      await target.apply({ status: 503 }, 1_000);
      // A scenario's schema keeps statuses to 400-599; a simulator checks again what it is sent.
      await expect(target.apply({ status: 200 }, 1_000)).rejects.toThrow(`simulator at ${sim.url} refused the fault rule (HTTP 400): fault rule refused: status: must be at least 400`);
    } finally {
      await sim.close();
    }
  });
});

describe('drill fault targets behind the proxy', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A stand-in proxy that remembers the effect it was last given. */
  function fakeProxy(): { set(effect: Effect | undefined): void; close(): Promise<void>; effect: Effect | undefined } {
    return {
      effect: undefined,
      set(effect) {
        this.effect = effect;
      },
      close: () => Promise.resolve(),
    };
  }

  it('overlapping windows combine, and each ends only its own effect', async () => {
    const proxy = fakeProxy();
    const target = proxyTarget('primary', proxy);
    await target.apply({ status: 503 }, 4_000);
    await vi.advanceTimersByTimeAsync(1_000);
    await target.apply({ latency_ms: 50 }, 1_000);
    expect(proxy.effect).toEqual({ status: 503, latency_ms: 50 });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(proxy.effect).toEqual({ status: 503 });
    await vi.advanceTimersByTimeAsync(1_999);
    expect(proxy.effect).toEqual({ status: 503 });
    await vi.advanceTimersByTimeAsync(1);
    expect(proxy.effect).toBeUndefined();
    await target.close();
  });

  it('combines effects as a simulator combines its rules: later fields win, latencies add up', () => {
    expect(combineEffects([])).toBeUndefined();
    expect(combineEffects([{ status: 503, latency_ms: 100 }, { status: 429, retry_after_s: 2, latency_ms: 50 }, { ttft_ms: 10 }])).toEqual({ status: 429, retry_after_s: 2, latency_ms: 150, ttft_ms: 10 });
  });

  it('closing the target cancels windows still running', async () => {
    const proxy = fakeProxy();
    const target = proxyTarget('primary', proxy);
    await target.apply({ blackhole: true }, 5_000);
    await target.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});
