import type { CancelSignal } from '../core/cancel.js';
import { GatewayError } from '../core/errors.js';
import { transportError } from './exchange-errors.js';
import type { BufferedResponse, UpstreamResponse } from './http.js';
import { upstreamName, type Upstream } from './upstream.js';

/*
 * Reading an upstream's reply into a value: a whole JSON answer, and an error answer mapped into the
 * taxonomy by the provider's own mapping, bounded in size and in the time its body may take.
 */

/**
 * An error answer's body is read up to this; a longer one is not read on and maps by its status alone.
 * Its status says what it is, so a huge error body must not cost 64 MB of memory per attempt nor turn a
 * retryable 500 into a `bad_upstream_response`.
 */
export const MAX_ERROR_BYTES = 1024 * 1024;

/**
 * How long an error answer's body is waited for after its status: one that stalls maps by its status
 * alone, so a 429 stays a rate limit (its cool-down and retry-after kept) rather than becoming a timeout.
 */
export const ERROR_BODY_WAIT_MS = 2_000;

/** Parses a buffered JSON answer; an unparseable body is a bad_upstream_response, never a crash. */
export function parseJsonBody(res: BufferedResponse, upstream: Upstream): unknown {
  return parseUpstreamJson(res.body.toString('utf8'), res.status, upstream);
}

function parseUpstreamJson(text: string, status: number, upstream: Upstream): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${upstreamName(upstream)} returned a malformed body (status ${status}).`, provider: upstream.provider, upstreamStatus: status });
  }
}

/** Maps a buffered error answer with the provider's own error mapping (an unparseable body maps as absent). */
export function bufferedError(res: BufferedResponse, upstream: Upstream, map: UpstreamErrorMapper): GatewayError {
  let body: unknown;
  try {
    body = JSON.parse(res.body.toString('utf8')) as unknown;
  } catch {
    body = undefined;
  }
  return map(res.status, res.headers, body, upstream.provider);
}

/** Reads a whole upstream body as text, mapping a mid-body socket failure into the taxonomy. */
async function readText(res: UpstreamResponse, upstream: Upstream, signal: CancelSignal, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      size += chunk.length;
      if (size > limit) {
        res.body.destroy();
        throw new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${upstreamName(upstream)} answered with more than ${limit} bytes.`, provider: upstream.provider, upstreamStatus: res.status });
      }
      chunks.push(chunk);
    }
  } catch (err) {
    throw transportError(err, upstream, signal);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/** Reads and parses a JSON body; an unparseable body is a bad_upstream_response, never a crash. */
async function readJson(res: UpstreamResponse, upstream: Upstream, signal: CancelSignal, limit: number): Promise<unknown> {
  return parseUpstreamJson(await readText(res, upstream, signal, limit), res.status, upstream);
}

/** Maps an upstream error status and its body (undefined when unreadable) into the taxonomy. */
export type UpstreamErrorMapper = (status: number, headers: UpstreamResponse['headers'], body: unknown, provider: string) => GatewayError;

/** The error an upstream error response stands for; an unreadable body still maps by its status. */
export async function upstreamError(res: UpstreamResponse, upstream: Upstream, signal: CancelSignal, map: UpstreamErrorMapper): Promise<GatewayError> {
  let timer: NodeJS.Timeout | undefined;
  // A body that stalls is cut (its read then fails, mapping as absent): the status says what it is.
  const stalled = new Promise<void>((resolve) => (timer = setTimeout(resolve, ERROR_BODY_WAIT_MS))).then(() => res.body.destroy());
  const body = await Promise.race([readJson(res, upstream, signal, MAX_ERROR_BYTES).catch(() => undefined), stalled.then(() => undefined)]);
  clearTimeout(timer);
  return map(res.status, res.headers, body, upstream.provider);
}
