import { WorkerHoldings } from '../cluster/holdings.js';
import type { Handlers, RpcClient } from '../cluster/rpc.js';
import type { ReservedPart } from '../core/held-writes.js';
import type { LimitRef } from './counters.js';
import type { RateLimitState, TakeResult } from './state.js';

/** The RPC target name of the shared rate-limit counters. */
export const RATE_LIMITS_TARGET = 'rateLimits';

/**
 * The primary's side: each call runs on one in-memory RateLimitState, whose methods are atomic. `held`
 * follows the tokens each worker's reservations still hold, released when that worker exits (its
 * requests stay counted: they were made).
 */
export function rateLimitHandlers(state: RateLimitState, held: WorkerHoldings<LimitRef> = rateLimitHoldings(state)): Handlers {
  return {
    take: async ([refs, tokens, requests], from) => {
      const result = await state.take(refs as LimitRef[], tokens as number, requests as 0 | 1 | undefined);
      if (result.ok) await held.hold(from, refs as LimitRef[], tokens as number, result.since);
      return result;
    },
    release: async ([refs, reserved], from) => {
      // A release read after its worker's exit: that exit released the reservation already.
      if (held.consume(from, refs as LimitRef[], reserved as ReservedPart)) await state.release(refs as LimitRef[], reserved as ReservedPart);
    },
    settle: async ([refs, used, fromReserved], from) => {
      const part = fromReserved as ReservedPart | undefined;
      // Read after its worker's exit: the tokens used stay, its reservation was released by the exit.
      await state.settle(refs as LimitRef[], used as number, held.consume(from, refs as LimitRef[], part) ? part : undefined);
    },
  };
}

/** What the workers' reservations hold on `state`'s counters, given back to it when a worker exits. */
export function rateLimitHoldings(state: RateLimitState): WorkerHoldings<LimitRef> {
  return new WorkerHoldings((refs, part) => state.release(refs, part));
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
