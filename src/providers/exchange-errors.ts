import { abortedBeforeSending } from '../core/abort.js';
import type { CancelSignal } from '../core/cancel.js';
import { GatewayError } from '../core/errors.js';
import { upstreamName, type Upstream } from './upstream.js';

/** A 3xx (a redirect, or 304 Not Modified, which the gateway never asks for). */
export const isRedirect = (status: number): boolean => status >= 300 && status < 400;

/**
 * An upstream's 3xx, on either path: never followed (the deployment's credentials go only to its
 * configured host), and its Location never quoted (it may carry tokens). The upstream's fault, so the
 * next deployment may serve; the same answer would come again, so no retry.
 */
export function redirected(status: number, upstream: Upstream): GatewayError {
  const message = `Upstream ${upstreamName(upstream)} answered with a redirect (HTTP ${status}), which the gateway does not follow.`;
  return new GatewayError({ kind: 'bad_upstream_response', message, provider: upstream.provider, upstreamStatus: status });
}

/** The transport's and the socket's codes for an upstream that did not answer in time. */
const TIMEOUTS = new Set(['CONNECT_TIMEOUT', 'ETIMEDOUT']);

/** Maps a socket-level failure (or our own abort) to a GatewayError. */
export function transportError(err: unknown, upstream: Upstream, signal?: CancelSignal): GatewayError {
  if (GatewayError.isInstance(err)) return err;
  const { provider } = upstream;
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    if (GatewayError.isInstance(reason)) return reason;
    return new GatewayError({ kind: 'cancelled', message: 'The request was cancelled.', provider, cause: err });
  }
  const code = (err as { code?: string }).code ?? 'error';
  if (code === 'INVALID_REQUEST_HEADER') {
    // A header this deployment builds (a credential with a line break, say) cannot be sent: not worth
    // a retry, but the next deployment may be fine.
    return new GatewayError({ kind: 'authentication', message: `The request to upstream ${upstreamName(upstream)} has a header that cannot be sent (a credential with a line break?).`, provider, cause: err });
  }
  if (TIMEOUTS.has(code)) {
    return new GatewayError({ kind: 'timeout', message: `Upstream ${upstreamName(upstream)} timed out.`, provider, cause: err });
  }
  return new GatewayError({ kind: 'network', message: `Upstream ${upstreamName(upstream)} connection failed (${code}).`, provider, cause: err });
}

/**
 * What a failed exchange ends with. One that failed before its request was written (it waited for a
 * pooled connection the client or a timeout gave up on, or the connection failed) cost the upstream
 * nothing, and says so (`unsent`): no row, no charge, its quota given back.
 */
export function exchangeError(err: Error, unsent: boolean, upstream: Upstream, signal: CancelSignal): GatewayError {
  if (!unsent) return transportError(err, upstream, signal);
  return signal.aborted ? abortedBeforeSending(signal, upstream.provider) : transportError(err, upstream, signal).withUnsent(true);
}

/**
 * A connection lost after the upstream's status line: the error names the status of the answer that
 * broke, so a 2xx cut mid-body (the upstream took the request and was answering it: it bills) is told
 * from a connection lost before any answer (`gateway/observe.ts` `failure`), and says what happened:
 * the connection worked, the answer broke off after `bytes` of its body. Our own aborts (a timeout,
 * the client leaving) keep their reason as it is.
 */
export function brokenAnswer(error: GatewayError, upstream: Upstream, status: number, bytes: number, what: 'stream' | 'answer'): GatewayError {
  if (status === 0 || error.kind !== 'network' || error.upstreamStatus !== undefined) return error;
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  const message = `Upstream ${upstreamName(upstream)}'s ${what} ended before it finished: ${howItBroke(typeof code === 'string' ? code : undefined)} after ${bytes} ${bytes === 1 ? 'byte' : 'bytes'} of its body.`;
  return new GatewayError({ ...error.toInit(), upstreamStatus: status, message });
}

/** How a connection ended an answer mid-body, by the transport's or the socket's error code. */
function howItBroke(code: string | undefined): string {
  switch (code) {
    case 'SOCKET_CLOSED':
      return 'the upstream closed the connection';
    case 'ECONNRESET':
      return 'the upstream reset the connection';
    case 'UPSTREAM_HTTP_PARSE':
      return "the upstream's HTTP framing broke";
    default:
      return `the connection failed (${code ?? 'error'})`;
  }
}
