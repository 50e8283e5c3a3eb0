import type { Canceller } from '../../core/cancel.js';
import { GatewayError } from '../../core/errors.js';

/**
 * Azure's front end drops an HTTP-triggered invocation that sends nothing for 230 s (its load balancer's
 * idle timeout), whatever `functionTimeout` says: the client then gets the platform's bare 502 and the
 * usage is never flushed. This default leaves 10 s under it for the answer and the ledger flush
 * (PostgreSQL's 5 s connect timeout and an insert) that run before the platform sees the end.
 */
export const AZURE_DEADLINE_MS = 220_000;

/** A deadline on the request's silence: re-armed by `touch()` (each chunk handed out), ended by `stop()`. */
export interface IdleDeadline {
  touch(): void;
  stop(): void;
}

/**
 * Aborts `controller` with a timeout once `ms` pass without `touch()`, so the gateway ends its upstream
 * call and answers that timeout in the front door's shape (or ends a stream with an error event), and
 * the attempt is recorded, while the platform still waits for the answer.
 */
export function idleDeadline(controller: Canceller, ms: number): IdleDeadline {
  const timer = setTimeout(() => {
    controller.abort(new GatewayError({ kind: 'timeout', code: 'deadline_exceeded', message: `No answer within ${ms} ms, the most an Azure Functions HTTP answer may stay silent.` }));
  }, ms);
  return {
    // refresh() re-arms the same timer: no allocation per chunk.
    touch: () => void timer.refresh(),
    stop: () => clearTimeout(timer),
  };
}
