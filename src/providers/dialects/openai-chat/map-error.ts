import { upstreamFailure, parseRetryAfter, type ErrorKind, type GatewayError } from '../../../core/errors.js';
import { safeParam, scrubUpstreamText } from '../../../core/scrub.js';

type Headers = Record<string, string | string[] | undefined>;

function first(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * An OpenAI-style error reply (OpenAI, Azure OpenAI, vLLM, Ollama) to the taxonomy. The client gets
 * our message, the code of the kind (the same whichever cloud failed) and the `param` the upstream named;
 * the upstream's text, scrubbed, is kept for the log.
 */
export function mapOpenAIError(status: number, headers: Headers, body: unknown, provider: string): GatewayError {
  const err = (body as { error?: Record<string, unknown> } | null)?.error;
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const inner = (err?.innererror as Record<string, unknown> | undefined)?.code;
  let kind: ErrorKind;
  if (status === 429) kind = 'rate_limited';
  else if (code === 'context_length_exceeded' || code === 'string_above_max_length') kind = 'context_window_exceeded';
  else if (code === 'content_filter' || inner === 'ResponsibleAIPolicyViolation') kind = 'content_filtered';
  // 413: too large for this upstream, which a retry cannot change.
  else if (status === 400 || status === 413 || status === 422) kind = 'invalid_request';
  else if (status === 401) kind = 'authentication';
  else if (status === 403) kind = 'permission';
  else if (status === 404) kind = 'not_found';
  else if (status === 408 || status === 504) kind = 'timeout';
  else if (status === 529) kind = 'overloaded';
  else if (status === 502 || status === 503) kind = 'unavailable';
  else if (status >= 500) kind = 'upstream_error';
  else kind = 'bad_upstream_response';
  return upstreamFailure({
    kind,
    provider,
    upstreamText: scrubUpstreamText(typeof err?.message === 'string' ? err.message : undefined),
    param: safeParam(err?.param),
    upstreamStatus: status,
    retryAfterMs: parseRetryAfter(first(headers, 'retry-after'), first(headers, 'retry-after-ms')),
    // A deployment that lacks the model says nothing about the others.
    fallbackable: kind === 'not_found' ? true : undefined,
    // An exhausted quota does not refill by waiting a few seconds.
    retryable: code === 'insufficient_quota' ? false : undefined,
  });
}

/** An `{"error": {...}}` inside a 200: a stream's chunk, or (with `upstreamStatus`) a whole answer without choices. */
export function mapOpenAIStreamError(err: Record<string, unknown>, provider: string, upstreamStatus?: number): GatewayError {
  return upstreamFailure({ kind: 'upstream_error', provider, upstreamStatus, upstreamText: scrubUpstreamText(typeof err.message === 'string' ? err.message : undefined) });
}
