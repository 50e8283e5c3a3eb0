import type { Canceller } from '../core/cancel.js';
import { GatewayError } from '../core/errors.js';
import { isObject } from '../core/json.js';

/** Every provider's `max_connections` default: a deployment whose options name none is taken to have it. */
const DEFAULT_CONNECTIONS = 128;
/** Shadow copies hold at most 1/SHADOW_SHARE of a deployment's connections (at least one). */
const SHADOW_SHARE = 4;

/**
 * The shadow copies in flight to one deployment. Shadow work is best effort and must never delay
 * live traffic, which waits in the same connection pool: copies hold at most a quarter of the pool
 * (at least one connection), a copy that would have to wait for a connection is not sent, and a live
 * attempt that finds the pool full takes the connection of the oldest copy (cancelling it).
 */
export class ShadowLane {
  /** The deployment's `max_connections`. */
  readonly connections: number;
  /** The most copies in flight at once. */
  readonly cap: number;
  /** Insertion order is age: the first is the oldest. */
  private readonly calls = new Set<Canceller>();

  constructor(options: unknown) {
    const max = isObject(options) ? options.max_connections : undefined;
    this.connections = typeof max === 'number' && max > 0 ? max : DEFAULT_CONNECTIONS;
    this.cap = Math.max(1, Math.floor(this.connections / SHADOW_SHARE));
  }

  get size(): number {
    return this.calls.size;
  }

  /** Whether a copy may start while `inFlight` calls (live and shadow) are out. */
  admits(inFlight: number): boolean {
    return this.calls.size < this.cap && inFlight < this.connections;
  }

  add(call: Canceller): void {
    this.calls.add(call);
  }

  delete(call: Canceller): void {
    this.calls.delete(call);
  }

  /** A live attempt would wait for a connection: the oldest copy gives up its own. */
  yieldOne(deployment: string): void {
    for (const call of this.calls) {
      this.calls.delete(call);
      call.abort(new GatewayError({ kind: 'cancelled', message: `Shadow copy to ${deployment} gave its connection to live traffic.`, deployment }));
      return;
    }
  }
}
