import { describe, expect, it } from 'vitest';
import { FaultInjector } from './faults.js';

describe('FaultInjector cold standby', () => {
  it('slows the first N requests, then again after an idle spell, but not while traffic keeps it warm', () => {
    let now = 0;
    const faults = new FaultInjector({ now: () => now });
    faults.add({ cold_start: { idle_ms: 1_000, requests: 2, latency_ms: 300 } });
    const latencies = (): number[] => [0, 1, 2].map(() => {
      now += 100;
      return faults.next('m').latencyMs;
    });
    expect(latencies()).toEqual([300, 300, 0]);
    expect(latencies()).toEqual([0, 0, 0]);
    now += 1_000;
    expect(latencies()).toEqual([300, 300, 0]);
  });
});
