import type { GatewayConfig } from '../config/schema.js';
import { STREAM_MAX_DEFAULT_MS } from '../routing/config.js';

/**
 * Left between a bounded stream's end and the platform's cut: its error event, the ledger's flush
 * (`FLUSH_LIMIT_MS`, 6 s) and the invocation's return.
 */
export const STREAM_END_RESERVE_MS = 10_000;

/** The `routing.stream_max_ms` a serverless entry builds with, and the warning to log once at the build (if any). */
export interface StreamBound {
  readonly streamMaxMs: number;
  readonly warning?: string;
}

/**
 * `routing.stream_max_ms` under a platform that ends an invocation after `invocationMs`, so a long
 * stream ends with the gateway's own timeout error (and its usage is flushed) before the platform cuts
 * the connection mid-chunk. A stream's limit counts from its first content, which may come as late as
 * `routing.deadline_ms`; a short invocation keeps half its time for the stream rather than none.
 * The default (an hour) is lowered silently; a value the config sets that the platform cannot honour
 * (0 included, no limit) is lowered too, with a warning naming the setting. A lower value is kept.
 */
export function boundStreamMax(routing: GatewayConfig['routing'], invocationMs: number): StreamBound {
  const fits = Math.max(invocationMs - routing.deadline_ms - STREAM_END_RESERVE_MS, Math.floor(invocationMs / 2));
  const asked = routing.stream_max_ms;
  if (asked > 0 && asked <= fits) return { streamMaxMs: asked };
  // The schema's default cannot be told from the same value written out; either way the platform wins.
  if (asked === STREAM_MAX_DEFAULT_MS) return { streamMaxMs: fits };
  const setting = asked === 0 ? '0 (no limit)' : `${asked} ms`;
  return {
    streamMaxMs: fits,
    warning:
      `routing.stream_max_ms is ${setting}, but this platform ends an invocation after ${invocationMs} ms: ` +
      `streams end after ${fits} ms instead (the invocation less routing.deadline_ms and ${STREAM_END_RESERVE_MS} ms to end and flush); set it to ${fits} or less`,
  };
}
