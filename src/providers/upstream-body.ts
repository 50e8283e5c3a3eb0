import type { CancelSignal } from '../core/cancel.js';
import { GatewayError } from '../core/errors.js';
import { transportError } from './exchange-errors.js';
import type { Upstream } from './upstream.js';

/** Bytes an upstream body may run ahead of its reader before the socket is paused. */
const BODY_HIGH_WATER = 64 * 1024;

/**
 * How long a body whose stream already ended (its end marker read) may take to end on its own: one that
 * does keeps its connection for reuse; one the upstream holds open is aborted then.
 */
export const RELEASE_GRACE_MS = 1_000;

/**
 * A streamed upstream body: the chunks the transport hands over, read as an async iterator. It holds up to
 * BODY_HIGH_WATER bytes the reader has not taken, then pauses the socket until it has. `return()` or
 * `destroy()` before the end aborts the upstream request (its connection cannot be reused mid-body).
 * Failures, the client's abort included, surface from `next()` mapped into the taxonomy.
 */
export class UpstreamBody implements AsyncIterableIterator<Buffer> {
  /** Set once the response starts: lets the transport read the socket again after a pause. */
  resumeUpstream: (() => void) | undefined;
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private paused = false;
  private waiter: { resolve: (r: IteratorResult<Buffer>) => void; reject: (err: unknown) => void } | undefined;
  private error: GatewayError | undefined;
  private ended = false;
  private settled = false;
  private abortUpstream: ((reason: Error) => void) | undefined;
  /** Set by `release`: the reader wants nothing more; the body is aborted unless it ends before this fires. */
  private releaseTimer: NodeJS.Timeout | undefined;
  private readonly onAbort = (): void => this.abort(this.signal.reason as Error);
  private readonly heldOpen = (): void => {
    this.releaseTimer = undefined;
    this.abort(new GatewayError({ kind: 'cancelled', message: `The upstream held its body open ${RELEASE_GRACE_MS} ms after its stream ended.`, provider: this.upstream.provider }));
  };

  constructor(
    private readonly upstream: Upstream,
    private readonly signal: CancelSignal,
  ) {
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The transport's abort for this request; a client that left before it was dispatched is honoured now. */
  attach(abort: (reason: Error) => void): void {
    this.abortUpstream = abort;
    if (this.signal.aborted) abort(this.signal.reason as Error);
  }

  /** A chunk from the socket; false asks the transport to pause it until the reader catches up. */
  push(chunk: Buffer): boolean {
    if (this.settled || this.releaseTimer !== undefined) return true;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter.resolve({ done: false, value: chunk });
      return true;
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < BODY_HIGH_WATER) return true;
    this.paused = true;
    return false;
  }

  /** The body is complete. */
  end(): void {
    this.ended = true;
    this.settle();
    this.stopReleaseTimer();
    const waiter = this.waiter;
    if (waiter && this.chunks.length === 0) {
      this.waiter = undefined;
      waiter.resolve({ done: true, value: undefined });
    }
  }

  /** The exchange failed mid-body: the reader gets the error after the chunks that came before it. */
  fail(error: GatewayError): void {
    if (this.ended) return;
    this.error ??= error;
    this.ended = true;
    this.settle();
    this.stopReleaseTimer();
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter.reject(error);
    }
  }

  /** Stops listening for the client's abort: the exchange is over one way or another. */
  settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.signal.removeEventListener('abort', this.onAbort);
  }

  next(): Promise<IteratorResult<Buffer>> {
    const chunk = this.chunks.shift();
    if (chunk !== undefined) {
      this.buffered -= chunk.length;
      if (this.paused && this.buffered < BODY_HIGH_WATER / 2) {
        this.paused = false;
        this.resumeUpstream?.();
      }
      return Promise.resolve({ done: false, value: chunk });
    }
    if (this.error) return Promise.reject(this.error);
    if (this.ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** The reader stops early: the rest of the body is not wanted. */
  return(): Promise<IteratorResult<Buffer>> {
    this.destroy();
    return Promise.resolve({ done: true, value: undefined });
  }

  /**
   * The reader has the stream's own end marker and wants nothing more. What still comes is dropped; a
   * body that ends within RELEASE_GRACE_MS leaves its connection to the pool, one held open is aborted.
   */
  release(): void {
    this.chunks.length = 0;
    this.buffered = 0;
    if (this.ended || this.releaseTimer !== undefined) return;
    this.releaseTimer = setTimeout(this.heldOpen, RELEASE_GRACE_MS);
    this.releaseTimer.unref();
    if (this.paused) {
      this.paused = false;
      this.resumeUpstream?.();
    }
  }

  private stopReleaseTimer(): void {
    if (this.releaseTimer === undefined) return;
    clearTimeout(this.releaseTimer);
    this.releaseTimer = undefined;
  }

  /** Drops the body; an exchange still running is aborted (its connection is closed). */
  destroy(): void {
    this.chunks.length = 0;
    this.buffered = 0;
    if (!this.ended) this.abort(new GatewayError({ kind: 'cancelled', message: 'The upstream body was not read to its end.', provider: this.upstream.provider }));
  }

  private abort(reason: Error): void {
    this.fail(transportError(reason, this.upstream, this.signal));
    this.abortUpstream?.(reason);
  }
}
