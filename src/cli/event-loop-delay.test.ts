import { describe, expect, it } from 'vitest';
import { reportEventLoopDelayOnSignal } from './event-loop-delay.js';

describe('event-loop delay bench hook', () => {
  it('prints the delay since the previous SIGUSR2 as one JSON line per signal, numbered', async () => {
    const lines: string[] = [];
    const stop = reportEventLoopDelayOnSignal((l) => lines.push(l));
    try {
      const until = Date.now() + 30;
      setTimeout(() => {
        while (Date.now() < until); // blocks the loop ~30 ms
      }, 1);
      await new Promise((r) => setTimeout(r, 60));
      process.kill(process.pid, 'SIGUSR2');
      await new Promise((r) => setTimeout(r, 20));
      process.kill(process.pid, 'SIGUSR2');
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      stop();
    }
    const [first, second] = lines.map((l) => (JSON.parse(l) as { switchyard_eld: { seq: number; max_ms: number } }).switchyard_eld);
    expect([first?.seq, second?.seq]).toEqual([1, 2]);
    expect(first?.max_ms).toBeGreaterThanOrEqual(20);
    expect(second?.max_ms).toBeLessThan(20);
  });
});
