import type { Handlers, RpcClient } from '../cluster/rpc.js';
import type { ReservedPart } from '../core/held-writes.js';
import type { LimitRef } from './counters.js';
import type { RateLimitState, TakeResult } from './state.js';

/** The RPC target name of the shared rate-limit counters. */
export const RATE_LIMITS_TARGET = 'rateLimits';

/** The primary's side: each call runs on one in-memory RateLimitState, whose methods are atomic. */
export function rateLimitHandlers(state: RateLimitState): Handlers {
  return {
    take: ([refs, tokens, requests]) => state.take(refs as LimitRef[], tokens as number, requests as 0 | 1 | undefined),
    release: ([refs, reserved]) => state.release(refs as LimitRef[], reserved as ReservedPart),
    settle: ([refs, used, fromReserved]) => state.settle(refs as LimitRef[], used as number, fromReserved as ReservedPart | undefined),
  };
}

/**
 * A cluster worker's rate-limit counters, held by the primary: one limit for the process group, not
 * one per worker (which multiplied every limit by the worker count). One IPC round trip per check and
 * settlement, like Redis's one network round trip.
 */
export class IpcRateLimitState implements RateLimitState {
  constructor(private readonly rpc: RpcClient) {}

  async take(refs: readonly LimitRef[], tokens: number, requests?: 0 | 1): Promise<TakeResult> {
    return (await this.rpc.call(RATE_LIMITS_TARGET, 'take', [refs, tokens, requests])) as TakeResult;
  }

  async release(refs: readonly LimitRef[], reserved: ReservedPart): Promise<void> {
    await this.rpc.call(RATE_LIMITS_TARGET, 'release', [refs, reserved]);
  }

  async settle(refs: readonly LimitRef[], used: number, fromReserved: ReservedPart | undefined): Promise<void> {
    await this.rpc.call(RATE_LIMITS_TARGET, 'settle', [refs, used, fromReserved]);
  }

  async close(): Promise<void> {}
}
