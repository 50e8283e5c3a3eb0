import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import { failure } from './observe.js';

describe('a failed attempt as the ledger records it', () => {
  const network = (upstreamStatus?: number): GatewayError => new GatewayError({ kind: 'network', message: 'Upstream sim connection failed (ECONNRESET).', provider: 'sim', upstreamStatus });

  it('bills the prompt estimate of an attempt whose 2xx answer the connection cut mid-body: the upstream had the request and was answering it', () => {
    expect(failure(network(200), 42)).toMatchObject({ outcome: 'error', usage: { prompt: 42, completion: 0 }, usageEstimated: true });
  });

  it('bills nothing for a connection lost before any answer, or while an error answer came', () => {
    expect(failure(network(), 42).usage).toBeUndefined();
    expect(failure(network(503), 42).usage).toBeUndefined();
  });
});
