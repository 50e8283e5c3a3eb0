import { describe, expect, it } from 'vitest';
import type { GatewayStatus } from '../gateway/engine.js';
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
    const started = Date.now();
    const s = await gatherStatus(status(1), [hung(2), answering(3, status(4))], 50);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(s.retryBudget.requests).toBe(5);
    expect(s.workers).toEqual({ answered: 2, expected: 3 });
  });
});
