import { upstreamFailure, parseRetryAfter, type ErrorKind, type GatewayError } from '../../../core/errors.js';
import { scrubUpstreamText } from '../../../core/scrub.js';

type Headers = Record<string, string | string[] | undefined>;

function first(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

// Claude's own words come wrapped: "The model returned the following errors: input length and `max_tokens` exceed context limit: ...".
const TOO_LONG = /input is too long|too many (input )?tokens|prompt is too long|context (window|length|limit)|maximum context length|exceeds? the maximum (number of )?(input )?tokens/i;

/** An AWS error name (HTTP `x-amzn-errortype` or an in-stream `:exception-type`) to a taxonomy kind. */
function kindOf(name: string, message: string, status: number | undefined): ErrorKind {
  switch (name.toLowerCase()) {
    case 'throttlingexception':
    case 'servicequotaexceededexception':
    case 'toomanyrequestsexception':
      return 'rate_limited';
    case 'serviceunavailableexception':
    case 'modelnotreadyexception':
      return 'unavailable';
    case 'validationexception':
      return TOO_LONG.test(message) ? 'context_window_exceeded' : 'invalid_request';
    case 'accessdeniedexception':
      return 'permission';
    case 'unrecognizedclientexception':
    case 'invalidsignatureexception':
    case 'missingauthenticationtokenexception':
    case 'expiredtokenexception':
    case 'incompletesignatureexception':
      return 'authentication';
    case 'modeltimeoutexception':
      return 'timeout';
    case 'resourcenotfoundexception':
      return 'not_found';
    case 'modelerrorexception':
    case 'modelstreamerrorexception':
    case 'internalserverexception':
      return 'upstream_error';
  }
  if (status === undefined) return 'upstream_error';
  if (status === 429) return 'rate_limited';
  if (status === 400 || status === 413 || status === 422) return TOO_LONG.test(message) ? 'context_window_exceeded' : 'invalid_request';
  if (status === 401) return 'authentication';
  if (status === 403) return 'permission';
  if (status === 404) return 'not_found';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 503) return 'unavailable';
  if (status >= 500) return 'upstream_error';
  return 'bad_upstream_response';
}

function build(kind: ErrorKind, name: string, message: string, provider: string, status?: number, retryAfterMs?: number): GatewayError {
  return upstreamFailure({
    kind,
    provider,
    upstreamStatus: status,
    upstreamText: scrubUpstreamText(name ? `${name}: ${message}` : message),
    retryAfterMs,
    // A region or account that lacks the model says nothing about the others.
    fallbackable: kind === 'not_found' ? true : undefined,
    // A daily token quota does not refill by retrying a few seconds later.
    retryable: name.toLowerCase() === 'servicequotaexceededexception' ? false : undefined,
  });
}

/**
 * An AWS error reply (status, `x-amzn-errortype: Name:namespace`, `{"message"}`) to the taxonomy.
 * Bedrock sends no retry-after; one set by a proxy in between is honoured.
 */
export function mapBedrockError(status: number, headers: Headers, body: unknown, provider: string): GatewayError {
  const b = (body ?? {}) as Record<string, unknown>;
  const rawName = first(headers, 'x-amzn-errortype') ?? (typeof b.__type === 'string' ? b.__type : typeof b.code === 'string' ? b.code : '');
  // Both `Name:http://internal.amazon.com/...` and `namespace#Name` appear in the wild.
  const name = (rawName.split(':')[0] ?? '').split('#').pop() ?? '';
  const message = typeof b.message === 'string' ? b.message : typeof b.Message === 'string' ? b.Message : '';
  return build(kindOf(name, message, status), name, message, provider, status, parseRetryAfter(first(headers, 'retry-after')));
}

/**
 * The model's own failure inside a modelStreamErrorException (`originalStatusCode`, `originalMessage` in
 * the Bedrock Runtime API): a throttled or refused request is that, not a server error to retry.
 */
function streamedModelError(p: Record<string, unknown>, message: string): ErrorKind | undefined {
  const status = p.originalStatusCode;
  if (typeof status !== 'number' || (status !== 429 && status !== 400 && status !== 413 && status !== 422)) return undefined;
  return kindOf('', typeof p.originalMessage === 'string' ? p.originalMessage : message, status);
}

/** An in-stream `:message-type: exception` frame to the taxonomy. */
export function mapStreamException(name: string, payload: unknown, provider: string): GatewayError {
  const p = (payload ?? {}) as Record<string, unknown>;
  const message = typeof p.message === 'string' ? p.message : '';
  const original = name.toLowerCase() === 'modelstreamerrorexception' ? streamedModelError(p, message) : undefined;
  return build(original ?? kindOf(name, message, undefined), name, message, provider);
}

/** An in-stream `:message-type: error` frame (its `:error-code` and `:error-message` headers) to the taxonomy. */
export function mapStreamErrorFrame(code: string | undefined, message: string | undefined, provider: string): GatewayError {
  return upstreamFailure({ kind: 'upstream_error', provider, upstreamText: scrubUpstreamText([code, message].filter(Boolean).join(': ')) });
}
