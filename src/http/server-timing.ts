import type { ServedBy } from '../gateway/gateway.js';

// Where a request's time went, from the numbers the gateway measured for its ledger and spans
// (`ServedBy`): nothing here reads a clock. The gateway's clock reads whole milliseconds (Date.now) and
// the request's the performance clock, so a share is good to about 1 ms an attempt.

/** Milliseconds to one decimal, as the access line and the header write them. */
export const tenths = (ms: number): number => Math.round(ms * 10) / 10;

/**
 * The gateway's own share of a request that took `ms`: what its upstreams' attempts did not take.
 * `failedUpstreamMs`: a failed request's attempts' time (`GatewayError.upstreamMs`). Undefined where it
 * cannot be told honestly: an error that says nothing of its attempts (refused before routing), or a
 * stream whose answering attempt has not ended.
 */
export function gatewayShare(ms: number, s: ServedBy | undefined, failedUpstreamMs?: number): number | undefined {
  if (s === undefined) return failedUpstreamMs === undefined ? undefined : tenths(Math.max(0, ms - failedUpstreamMs));
  if (s.attemptsMs === undefined) return undefined;
  if (s.ttftMs !== undefined && s.upstreamMs === undefined) return undefined;
  return tenths(Math.max(0, ms - s.attemptsMs));
}

/**
 * The `Server-Timing` header (`server.server_timing`) of an answer `elapsedMs` into its request, when
 * its headers go out: a whole answer's `upstream` (every attempt's time with its upstream, 0 from the
 * cache) and `gateway` (the rest); a stream's `upstream-ttft` (its answering attempt's time to first
 * content, all that is known when its headers go out: nothing waits for more) and `gateway` (the time
 * before that, less any failed attempts'); an error's `upstream` and `gateway` likewise when it says what
 * its attempts took (`failedUpstreamMs`), else its `total`.
 */
export function serverTiming(elapsedMs: number, s: ServedBy | undefined, failedUpstreamMs?: number): string {
  if (s === undefined && failedUpstreamMs !== undefined) return `upstream;dur=${tenths(failedUpstreamMs)}, gateway;dur=${tenths(Math.max(0, elapsedMs - failedUpstreamMs))}`;
  if (s === undefined || s.attemptsMs === undefined) return `total;dur=${tenths(elapsedMs)}`;
  if (s.ttftMs === undefined) return `upstream;dur=${tenths(s.attemptsMs)}, gateway;dur=${tenths(Math.max(0, elapsedMs - s.attemptsMs))}`;
  // The attempts that failed before it; the answering one's own time is known only once it ends.
  const before = s.attemptsMs - (s.upstreamMs ?? 0);
  return `upstream-ttft;dur=${tenths(s.ttftMs)}, gateway;dur=${tenths(Math.max(0, elapsedMs - before - s.ttftMs))}`;
}
