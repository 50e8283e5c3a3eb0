import { describe, expect, it } from 'vitest';
import { runLoad } from './load.js';

describe('drill load generator', () => {
  it('starts requests on schedule and never sends more than rate times duration', async () => {
    let now = 0;
    const starts: number[] = [];
    const sent = await runLoad({
      ratePerS: 10,
      durationMs: 1_000,
      now: () => now,
      wait: (ms) => {
        now += ms;
        return Promise.resolve();
      },
      send: () => {
        starts.push(now);
        return Promise.resolve();
      },
    });
    expect(sent).toBe(10);
    expect(starts).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
  });

  it('stops at the duration even when the schedule fell behind', async () => {
    let now = 0;
    const sent = await runLoad({
      ratePerS: 10,
      durationMs: 1_000,
      now: () => now,
      wait: () => Promise.resolve(),
      send: () => {
        now += 400;
        return Promise.resolve();
      },
    });
    expect(sent).toBe(3);
  });
});
