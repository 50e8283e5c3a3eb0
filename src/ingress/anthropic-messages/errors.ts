import { GatewayError, type ErrorKind } from '../../core/errors.js';
import { toAnthropicRateLimitHeaders } from './rate-limit-headers.js';

/** Anthropic's error `type` for each kind; 5xx kinds without their own Anthropic type are `api_error`. */
const TYPES: Readonly<Partial<Record<ErrorKind, string>>> = {
  invalid_request: 'invalid_request_error',
  context_window_exceeded: 'invalid_request_error',
  content_filtered: 'invalid_request_error',
  unauthenticated: 'authentication_error',
  forbidden: 'permission_error',
  residency_violation: 'permission_error',
  not_found: 'not_found_error',
  rate_limited: 'rate_limit_error',
  budget_exceeded: 'rate_limit_error',
  overloaded: 'overloaded_error',
  timeout: 'timeout_error',
};

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
  request_id?: string;
}

/** The request's id as Anthropic writes its own (`req_…`), in the `request-id` header and error bodies. */
export const anthropicRequestId = (requestId: string): string => `req_${requestId.replaceAll('-', '')}`;

/**
 * Failures at a status the SDK retries (429, 5xx) that no retry of the client's can mend: a spent budget
 * (until its period resets, hours away), a deployment's own credentials refused (until its config changes).
 */
const NOT_WORTH_RETRYING: ReadonlySet<ErrorKind> = new Set(['budget_exceeded', 'authentication', 'permission']);

/**
 * An error answer as Anthropic's: its `request-id`, its rate-limit header names, `retry-after` alone
 * (`retry-after-ms` is OpenAI's and Azure's, which Anthropic does not send), its own 529 for an
 * overloaded API (which its SDK raises as OverloadedError), and its `x-should-retry`, which the SDK
 * (and Claude Code, which would try a 429 ten times) obeys over the status. Adjusts `headers` in place;
 * returns the status.
 */
export function anthropicErrorAnswer(error: GatewayError, requestId: string, headers: Record<string, string>): number {
  headers['request-id'] = anthropicRequestId(requestId);
  toAnthropicRateLimitHeaders(headers, Date.now());
  delete headers['retry-after-ms'];
  const status = error.kind === 'overloaded' ? 529 : error.status;
  headers['x-should-retry'] = String((status === 429 || status >= 500) && !NOT_WORTH_RETRYING.has(error.kind));
  return status;
}

/**
 * An error in the Messages API's shape, `{"type":"error","error":{type,message}}`, at the status the
 * gateway chose (the SDK retries 429 and 5xx alike). The upstream's scrubbed words only when exposed.
 * A prompt too long for the context window starts as Anthropic's own does (`prompt is too long`), which
 * clients such as Claude Code look for to compact the conversation; the error carries no token counts,
 * so our words follow instead of Anthropic's `N tokens > M maximum`.
 */
export function toAnthropicError(error: GatewayError, exposeUpstream: boolean, requestId?: string): AnthropicErrorBody {
  const type = error.status === 413 ? 'request_too_large' : (TYPES[error.kind] ?? 'api_error');
  const told = error.clientMessage(exposeUpstream);
  const message = error.kind === 'context_window_exceeded' ? `prompt is too long: ${told}` : told;
  const body: AnthropicErrorBody = { type: 'error', error: { type, message } };
  if (requestId !== undefined) body.request_id = anthropicRequestId(requestId);
  return body;
}

/**
 * The error event that ends a stream which broke after its first byte, attributed to the deployment that
 * failed (the one that served the first byte unless the error names another); `exposes` says whether
 * that deployment shows its upstream's words.
 */
export function streamErrorData(err: unknown, deployment: string, provider: string, exposes: (deployment: string | undefined) => boolean): string {
  const error = GatewayError.isInstance(err) ? err.blamedOn(deployment, provider) : new GatewayError({ kind: 'internal', message: 'Internal gateway error.' });
  return JSON.stringify(toAnthropicError(error, exposes(error.deployment)));
}
