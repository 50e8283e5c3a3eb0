import { upstreamFailure, parseRetryAfter, type ErrorKind, type GatewayError } from '../../../core/errors.js';
import { scrubUpstreamText } from '../../../core/scrub.js';

type Headers = Record<string, string | string[] | undefined>;

function first(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

// "input length and `max_tokens` exceed context limit: 178959 + 64000 > 200000" counts the output room too (docker/docker-agent#569).
const TOO_LONG = /prompt is too long|too many (input )?tokens|exceeds? (the )?(model'?s? )?context (window|length|limit)|context window/i;
const FILTERED = /content filtering policy/i;
/**
 * The account, not the request: Anthropic refuses every request of an empty, capped or disabled account as
 * a 400 invalid_request_error (anthropics/claude-code#4684, #2127, #19028), which another deployment may serve.
 */
const ACCOUNT_REFUSED = /credit balance is too low|reached your specified API usage limits|organization has been disabled/i;
/**
 * The host or model, not the request: Claude on Vertex refuses `output_config.format` until the
 * organization policy `constraints/vertexai.allowedPartnerModelFeatures` allows `structured_outputs`, and
 * hosts and models without structured outputs or effort refuse the field, which another deployment may take.
 */
const OUTPUT_CONFIG_REFUSED = /\boutput_config(?:\.\w+)?: Extra inputs are not permitted/;
/** "You will regain access on 2026-04-01 at 00:00 UTC." of a usage limit. */
const REGAINS_ACCESS = /regain access on (\d{4})-(\d{2})-(\d{2}) at (\d{2}):(\d{2}) UTC/i;

/** The kind an Anthropic error `type` stands for (also used for in-stream `error` events). */
export function kindForAnthropicErrorType(type: string | undefined, message = ''): ErrorKind | undefined {
  switch (type) {
    case 'invalid_request_error':
      if (ACCOUNT_REFUSED.test(message)) return 'permission';
      if (TOO_LONG.test(message)) return 'context_window_exceeded';
      if (FILTERED.test(message)) return 'content_filtered';
      return 'invalid_request';
    case 'request_too_large':
      return 'invalid_request';
    case 'authentication_error':
      return 'authentication';
    case 'permission_error':
    case 'billing_error':
      return 'permission';
    case 'not_found_error':
      return 'not_found';
    case 'rate_limit_error':
      return 'rate_limited';
    case 'overloaded_error':
      return 'overloaded';
    case 'timeout_error':
      return 'timeout';
    case 'api_error':
      return 'upstream_error';
    default:
      return undefined;
  }
}

function kindForStatus(status: number): ErrorKind {
  if (status === 429) return 'rate_limited';
  if (status === 529) return 'overloaded';
  if (status === 400 || status === 413 || status === 422) return 'invalid_request';
  if (status === 401) return 'authentication';
  if (status === 402 || status === 403) return 'permission';
  if (status === 404) return 'not_found';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 502 || status === 503) return 'unavailable';
  if (status >= 500) return 'upstream_error';
  return 'bad_upstream_response';
}

/** `{type:"error", error:{type, message}}` parts, tolerating anything else. */
export function readAnthropicError(body: unknown): { type: string | undefined; message: string | undefined } {
  const err = (body as { error?: { type?: unknown; message?: unknown } } | null)?.error;
  return {
    type: typeof err?.type === 'string' ? err.type : undefined,
    message: typeof err?.message === 'string' ? err.message : undefined,
  };
}

/**
 * How long a usage-limit refusal keeps the account out: until the date it names. Returned as the 429 of
 * a spent quota (not retried, another deployment tried), whose cool-down the router takes, bounded by
 * `routing.rate_limit.max_cool_down_ms`; a permission error's wait would be ignored. Undefined for any
 * other message, and for a date past or unreadable (then the breaker counts the permission refusals).
 */
function accessReturnsInMs(message: string, now: number): number | undefined {
  const m = REGAINS_ACCESS.exec(message);
  if (!m) return undefined;
  const [, y, mo, d, h, mi] = m.map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi) - now;
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/**
 * An Anthropic error reply (direct API, Vertex rawPredict, Bedrock InvokeModel bodies) to the
 * taxonomy. The status decides for throttling, server failures and credentials (a 503 stays
 * `unavailable`, a 401 `authentication`, whatever its type says); the error type refines other 4xx answers. The upstream's text is kept, scrubbed, for the
 * log only.
 */
export function mapAnthropicError(status: number, headers: Headers, body: unknown, provider: string, now = Date.now()): GatewayError {
  const { type, message } = readAnthropicError(body);
  const byType = kindForAnthropicErrorType(type, message);
  // A 401 or 403 is the deployment's credential or access whatever the type says (a proxy in front may
  // type it invalid_request_error): reported so, and another deployment tried.
  const statusDecides = status >= 500 || status === 429 || status === 401 || status === 403 || !byType;
  const kind = statusDecides ? kindForStatus(status) : byType;
  const lockedOutMs = kind === 'permission' && message !== undefined ? accessReturnsInMs(message, now) : undefined;
  return upstreamFailure({
    kind: lockedOutMs === undefined ? kind : 'rate_limited',
    provider,
    upstreamText: scrubUpstreamText(message),
    upstreamStatus: status,
    retryAfterMs: lockedOutMs ?? parseRetryAfter(first(headers, 'retry-after'), first(headers, 'retry-after-ms')),
    // A deployment that lacks the model, or structured outputs, says nothing about the others.
    fallbackable: kind === 'not_found' || (kind === 'invalid_request' && message !== undefined && OUTPUT_CONFIG_REFUSED.test(message)) ? true : undefined,
    // A usage limit does not lift by retrying a few seconds later.
    retryable: lockedOutMs === undefined ? undefined : false,
  });
}

/** An `error` event inside a 200 stream, or (with `upstreamStatus`) a whole 200 answer that is one: the error type alone decides. */
export function mapAnthropicStreamError(body: unknown, provider: string, upstreamStatus?: number): GatewayError {
  const { type, message } = readAnthropicError(body);
  return upstreamFailure({ kind: kindForAnthropicErrorType(type, message) ?? 'upstream_error', provider, upstreamStatus, upstreamText: scrubUpstreamText(message) });
}
