import { upstreamFailure, parseRetryAfter, type ErrorKind, type GatewayError } from '../../../core/errors.js';
import { isObject } from '../../../core/json.js';
import { safeParam, scrubUpstreamText } from '../../../core/scrub.js';

type Headers = Record<string, string | string[] | undefined>;

function first(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

// Vertex words it its own way: "Unable to submit request because the input token count is 1251952 but model
// only supports up to 1048576." (google-gemini/gemini-cli#19727); the Gemini API: "The input token count (N) exceeds ...".
const TOKEN_LIMIT = /token count.*exceeds|exceeds the maximum number of tokens|too many tokens|context (window|length)|input is too long|token count is \d+ but (the )?model only supports up to/i;

/** A google.protobuf.Duration in JSON: seconds, maybe with decimals, and an `s`. */
const DURATION = /^\d+(?:\.\d+)?s$/;

/** google.rpc.RetryInfo's retryDelay ("3s", "1.5s") in milliseconds. */
function retryInfoMs(details: unknown): number | undefined {
  if (!Array.isArray(details)) return undefined;
  for (const d of details as unknown[]) {
    // Any JSON can stand in the list: a null there must not turn a 429 into the gateway's own 500.
    if (!isObject(d)) continue;
    const type = d['@type'];
    if (typeof type === 'string' && type.endsWith('google.rpc.RetryInfo') && typeof d.retryDelay === 'string' && DURATION.test(d.retryDelay)) {
      return Number(d.retryDelay.slice(0, -1)) * 1000;
    }
  }
  return undefined;
}

function kindFor(status: number, rpcStatus: string | undefined, message: string): ErrorKind {
  if (status === 429 || rpcStatus === 'RESOURCE_EXHAUSTED') return 'rate_limited';
  // The project or location cannot serve this (billing, "User location is not supported", a model not
  // offered there): the deployment's problem, which another deployment may not have.
  if (rpcStatus === 'FAILED_PRECONDITION') return 'permission';
  if (status === 400 && TOKEN_LIMIT.test(message)) return 'context_window_exceeded';
  if (status === 400 || status === 413 || status === 422) return 'invalid_request';
  if (status === 401) return 'authentication';
  if (status === 403) return 'permission';
  if (status === 404) return 'not_found';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 502 || status === 503) return 'unavailable';
  if (status >= 500) return 'upstream_error';
  return 'bad_upstream_response';
}

/** The first field a google.rpc.BadRequest detail names as violated. */
function violatedField(details: unknown): string | undefined {
  if (!Array.isArray(details)) return undefined;
  for (const d of details as Array<Record<string, unknown>>) {
    const violations = d?.fieldViolations;
    if (Array.isArray(violations)) return safeParam((violations[0] as Record<string, unknown> | undefined)?.field);
  }
  return undefined;
}

/**
 * A Google API error (`{error: {code, message, status, details}}`) to the taxonomy. Used for HTTP
 * errors and for errors that arrive inside a stream. The upstream's text is kept, scrubbed, for the
 * log only.
 */
export function mapGoogleError(status: number, headers: Headers, body: unknown, provider: string): GatewayError {
  const err = (body as { error?: Record<string, unknown> } | null | undefined)?.error;
  const rpcStatus = typeof err?.status === 'string' ? err.status : undefined;
  const message = typeof err?.message === 'string' ? err.message : '';
  const kind = kindFor(status, rpcStatus, message);
  return upstreamFailure({
    kind,
    provider,
    upstreamText: scrubUpstreamText(rpcStatus ? `${rpcStatus}: ${message}` : message),
    param: violatedField(err?.details),
    upstreamStatus: status,
    retryAfterMs: parseRetryAfter(first(headers, 'retry-after')) ?? retryInfoMs(err?.details),
    // A deployment that lacks the model (or a region without it) says nothing about the others.
    fallbackable: kind === 'not_found' ? true : undefined,
  });
}
