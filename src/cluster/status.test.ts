import { describe, expect, it, vi } from 'vitest';
import type { GatewayStatus } from '../gateway/engine.js';
import type { ClusterStatus } from './combine-status.js';
import { gatherStatus, type StatusWorker } from './status.js';

const status = (inFlight: number): GatewayStatus => ({ at: 1, deployments: [], groups: [], retryBudget: { requests: inFlight, retries: 0, denied: 0, ratio: 0.2 } });
const answering = (id: number, s: GatewayStatus): StatusWorker => ({ id, collect: async () => s });
const hung = (id: number): StatusWorker => ({ id, collect: (ms) => new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)) });

describe('the status of serve --workers, gathered by the primary', () => {
  it("combines the caller's status with every other worker's", async () => {
    const s = await gatherStatus(status(1), [answering(2, status(2)), answering(3, status(4))]);
    expect(s.retryBudget.requests).toBe(7);
    expect(s.workers).toEqual({ answered: 3, expected: 3 });
  });

  it('leaves a late worker out after its timeout and says so, rather than wait for it', async () => {
    // A fake clock: the 50 ms are the worker's timeout, not a wall-clock budget a busy machine can miss.
    vi.useFakeTimers();
    try {
      let s: ClusterStatus | undefined;
      void gatherStatus(status(1), [hung(2), answering(3, status(4))], 50).then((answer) => (s = answer));
      await vi.advanceTimersByTimeAsync(49);
      expect(s).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      expect(s?.retryBudget.requests).toBe(5);
      expect(s?.workers).toEqual({ answered: 2, expected: 3 });
    } finally {
      vi.useRealTimers();
    }
  });
});
