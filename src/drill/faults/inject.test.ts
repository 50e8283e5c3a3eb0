import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Effect } from '../scenario.js';
import { combineEffects, proxyTarget } from './inject.js';

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
