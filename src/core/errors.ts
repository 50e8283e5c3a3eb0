import type { BilledAttempt, Usage } from './types.js';
import { withoutInternalAddresses } from './internal-address.js';

/**
 * The one error taxonomy. Every failure, whether from a client, the config, the router or an upstream,
 * becomes a GatewayError whose kind decides what the router does with it: retry the same deployment,
 * fall back to another, or fail fast.
 */

export type ErrorKind =
  | 'rate_limited'
  | 'overloaded'
  | 'unavailable'
  | 'upstream_error'
  | 'timeout'
  | 'network'
  | 'bad_upstream_response'
  | 'context_window_exceeded'
  | 'content_filtered'
  | 'invalid_request'
  | 'authentication'
  | 'permission'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'budget_exceeded'
  | 'residency_violation'
  | 'no_deployment_available'
  | 'cancelled'
  | 'internal';

interface KindTraits {
  status: number;
  /** Worth trying the same deployment again. */
  retryable: boolean;
  /** Worth trying the next deployment of the group. */
  fallbackable: boolean;
}

export const ERROR_KINDS: Readonly<Record<ErrorKind, KindTraits>> = {
  rate_limited: { status: 429, retryable: true, fallbackable: true },
  overloaded: { status: 503, retryable: true, fallbackable: true },
  unavailable: { status: 503, retryable: true, fallbackable: true },
  upstream_error: { status: 502, retryable: true, fallbackable: true },
  timeout: { status: 504, retryable: true, fallbackable: true },
  network: { status: 502, retryable: true, fallbackable: true },
  bad_upstream_response: { status: 502, retryable: false, fallbackable: true },
  // Only configured special fallbacks (a bigger-context model, a laxer filter) may take these.
  context_window_exceeded: { status: 400, retryable: false, fallbackable: false },
  content_filtered: { status: 400, retryable: false, fallbackable: false },
  invalid_request: { status: 400, retryable: false, fallbackable: false },
  // A bad credential on one deployment says nothing about the others.
  authentication: { status: 502, retryable: false, fallbackable: true },
  permission: { status: 502, retryable: false, fallbackable: true },
  // The client's own credentials: a missing or unknown API key, or a key not allowed what it asked for.
  unauthenticated: { status: 401, retryable: false, fallbackable: false },
  forbidden: { status: 403, retryable: false, fallbackable: false },
  not_found: { status: 404, retryable: false, fallbackable: false },
  budget_exceeded: { status: 429, retryable: false, fallbackable: false },
  residency_violation: { status: 403, retryable: false, fallbackable: false },
  no_deployment_available: { status: 503, retryable: false, fallbackable: false },
  cancelled: { status: 499, retryable: false, fallbackable: false },
  internal: { status: 500, retryable: false, fallbackable: false },
};

/** The retry-after a 503 or 429 answer carries when nothing says when to come back. */
export const DEFAULT_CLIENT_RETRY_AFTER_MS = 1_000;

export interface GatewayErrorInit {
  kind: ErrorKind;
  message: string;
  /** HTTP status for the client; defaults to the kind's status. */
  status?: number;
  retryable?: boolean;
  fallbackable?: boolean;
  provider?: string;
  deployment?: string;
  upstreamStatus?: number;
  /** Milliseconds the upstream asked us to wait before trying again. */
  retryAfterMs?: number;
  /** Machine-readable code for error bodies; defaults to the kind, which each front door turns into its API's own code. */
  code?: string;
  param?: string;
  /** The upstream's own words, already scrubbed: logged, and shown only by exposing deployments. */
  upstreamText?: string;
  /** Region of the deployment that failed last. */
  region?: string;
  /** Attempts made for the request when this error ended it. */
  attempts?: number;
  /** Response headers the answer must carry besides retry-after (e.g. `x-ratelimit-*` of a refused request). */
  headers?: Readonly<Record<string, string>>;
  /**
   * Nothing of the request went upstream: a dialect cannot carry part of it, or the client left while the
   * attempt still waited for a connection or for its credentials. Nothing to bill or record.
   */
  unsent?: boolean;
  /** What the upstream billed for a reply refused as malformed: recorded and charged, though not served. */
  paidUsage?: Usage;
  /** What the request was billed when its stream broke after the first content (see `Spent`). */
  /** The group (or alias) the failed request was routed by (the access line's). */
  group?: string | undefined;
  /** Milliseconds the failed request's attempts spent with their upstreams (the access line's). */
  upstreamMs?: number | undefined;
  spent?: Spent;
  cause?: unknown;
}

/**
 * What a stream that broke after its first content was billed, as its ledger rows record it, for the
 * cost its door still owes the client (the trailer) once no usage part will come. Shaped like a usage
 * part: the broken attempt's usage, or, for an answer of several attempts (a resumed stream), each
 * one's. Attempts billed before the one that answered are `ServedBy.failed`, not here.
 */
export interface Spent {
  usage: Usage;
  /** Some of it is the gateway's count, not the upstream's. */
  estimated: boolean;
  /** Each attempt billed since the answer began, when there were several; the cost is theirs then. */
  attempts?: readonly BilledAttempt[] | undefined;
}

/** What each kind of upstream failure is called in the messages Switchyard writes. */
const UPSTREAM_PHRASES: Readonly<Partial<Record<ErrorKind, string>>> = {
  rate_limited: 'is rate limiting the gateway',
  overloaded: 'is overloaded',
  unavailable: 'is unavailable',
  upstream_error: 'failed with a server error',
  timeout: 'timed out',
  bad_upstream_response: 'answered with an unexpected error',
  context_window_exceeded: "rejected the request: the prompt does not fit the model's context window",
  content_filtered: 'refused the request under its content filter',
  invalid_request: 'rejected the request as invalid',
  authentication: "refused the gateway's credentials",
  permission: 'denied the gateway access',
  not_found: 'does not know the requested model or resource',
};

/**
 * The client-facing message for an upstream's error reply, written by us: who failed, how, and the
 * HTTP status (none for failures inside a stream). Never any of the upstream's text.
 */
export function upstreamMessage(kind: ErrorKind, status: number | undefined, provider: string | undefined, deployment?: string): string {
  const who = deployment !== undefined && deployment !== provider ? `${deployment} (${provider ?? 'provider'})` : (provider ?? 'provider');
  const what = UPSTREAM_PHRASES[kind] ?? 'failed';
  return `Upstream ${who} ${what}${status === undefined ? ' mid-stream' : ` (HTTP ${status})`}.`;
}

/** An upstream's error reply in the taxonomy, with Switchyard's message and the upstream's words kept apart. */
export function upstreamFailure(init: Omit<GatewayErrorInit, 'message'> & { provider: string }): GatewayError {
  return new GatewayError({ ...init, message: upstreamMessage(init.kind, init.upstreamStatus, init.provider, init.deployment) });
}

const BRAND = Symbol.for('switchyard.GatewayError');

export class GatewayError extends Error {
  readonly kind: ErrorKind;
  readonly status: number;
  readonly retryable: boolean;
  readonly fallbackable: boolean;
  readonly provider: string | undefined;
  readonly deployment: string | undefined;
  readonly upstreamStatus: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly code: string;
  readonly param: string | undefined;
  readonly upstreamText: string | undefined;
  readonly region: string | undefined;
  readonly attempts: number | undefined;
  readonly headers: Readonly<Record<string, string>> | undefined;
  readonly unsent: boolean;
  readonly paidUsage: Usage | undefined;
  readonly spent: Spent | undefined;
  readonly group: string | undefined;
  readonly upstreamMs: number | undefined;
  readonly [BRAND] = true;

  constructor(init: GatewayErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    const traits = ERROR_KINDS[init.kind];
    this.name = 'GatewayError';
    this.kind = init.kind;
    this.status = init.status ?? traits.status;
    this.retryable = init.retryable ?? traits.retryable;
    this.fallbackable = init.fallbackable ?? traits.fallbackable;
    this.provider = init.provider;
    this.deployment = init.deployment;
    this.upstreamStatus = init.upstreamStatus;
    this.retryAfterMs = init.retryAfterMs;
    this.code = init.code ?? init.kind;
    this.param = init.param;
    this.upstreamText = init.upstreamText;
    this.region = init.region;
    this.attempts = init.attempts;
    this.headers = init.headers;
    this.unsent = init.unsent === true;
    this.paidUsage = init.paidUsage;
    this.spent = init.spent;
    this.group = init.group;
    this.upstreamMs = init.upstreamMs;
  }

  /** True for GatewayErrors from any copy of this package. */
  static isInstance(value: unknown): value is GatewayError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /**
   * Returns a copy attributed to a deployment (the provider layer does not know its deployment id), and
   * optionally to its region and the attempt count, which error answers report in their headers.
   */
  withDeployment(deployment: string, provider: string, last: { region?: string; attempts?: number } = {}): GatewayError {
    const region = last.region ?? this.region;
    const attempts = last.attempts ?? this.attempts;
    if (this.deployment === deployment && this.provider === provider && this.region === region && this.attempts === attempts) return this;
    const init: GatewayErrorInit = { ...this.toInit(), deployment, provider, region, attempts };
    // A message we wrote about an upstream names the deployment once it is known.
    if (this.message === upstreamMessage(this.kind, this.upstreamStatus, this.provider, this.deployment)) {
      init.message = upstreamMessage(this.kind, this.upstreamStatus, provider, deployment);
    }
    return new GatewayError(init);
  }

  /**
   * Attributed to `deployment` unless it already names the one that failed: a stream resumed on another
   * deployment breaks on that one, not on the deployment that served its first byte.
   */
  blamedOn(deployment: string, provider: string): GatewayError {
    return this.deployment === undefined ? this.withDeployment(deployment, provider) : this;
  }

  /** Returns a copy whose answer carries these headers too (the request's rate-limit headers); itself when it has some. */
  withHeaders(headers: Readonly<Record<string, string>> | undefined): GatewayError {
    if (headers === undefined || this.headers !== undefined) return this;
    return new GatewayError({ ...this.toInit(), headers });
  }

  /** Returns a copy whose answer tells the client when to come back. */
  withRetryAfter(ms: number): GatewayError {
    if (this.retryAfterMs === ms) return this;
    return new GatewayError({ ...this.toInit(), retryAfterMs: ms });
  }

  /** Returns a copy saying what the request was billed when its stream broke (`Spent`). */
  withSpent(spent: Spent): GatewayError {
    return new GatewayError({ ...this.toInit(), spent });
  }

  /** Returns a copy saying how the failed request was routed and how long its attempts took; itself when it says so. */
  withRequest(group: string | undefined, upstreamMs: number | undefined): GatewayError {
    if (this.group === group && this.upstreamMs === upstreamMs) return this;
    return new GatewayError({ ...this.toInit(), group, upstreamMs });
  }

  /** Returns a copy whose `unsent` (nothing of the request reached the upstream) is as given; itself when it is. */
  withUnsent(unsent: boolean): GatewayError {
    if (this.unsent === unsent) return this;
    return new GatewayError({ ...this.toInit(), unsent });
  }

  /**
   * The message a client reads, whatever the front door's error shape. Never includes prompts, secrets or
   * upstream bodies verbatim; the upstream's scrubbed words only when `exposeUpstream` (a deployment's
   * `expose_upstream_errors`), and without the private network's addresses they may quote.
   */
  clientMessage(exposeUpstream = false): string {
    return exposeUpstream && this.upstreamText !== undefined ? `${this.message} Upstream said: ${withoutInternalAddresses(this.upstreamText)}` : this.message;
  }

  toInit(): GatewayErrorInit {
    return {
      kind: this.kind,
      message: this.message,
      status: this.status,
      retryable: this.retryable,
      fallbackable: this.fallbackable,
      provider: this.provider,
      deployment: this.deployment,
      upstreamStatus: this.upstreamStatus,
      retryAfterMs: this.retryAfterMs,
      code: this.code,
      param: this.param,
      upstreamText: this.upstreamText,
      region: this.region,
      attempts: this.attempts,
      headers: this.headers,
      unsent: this.unsent,
      paidUsage: this.paidUsage,
      spent: this.spent,
      group: this.group,
      upstreamMs: this.upstreamMs,
      cause: this.cause,
    };
  }
}

/** Wraps anything thrown into the taxonomy; unknown throwables become `internal`. */
export function toGatewayError(err: unknown): GatewayError {
  if (GatewayError.isInstance(err)) return err;
  if (err instanceof Error && err.name === 'AbortError') {
    return new GatewayError({ kind: 'cancelled', message: 'The request was cancelled.', cause: err });
  }
  return new GatewayError({ kind: 'internal', message: 'Internal gateway error.', cause: err });
}

/**
 * What decoding an upstream's reply threw, in the taxonomy: the decoder's own error, or the upstream's
 * malformed reply (a TypeError on a shape the decoder did not expect, such as `choices: [null]`): a
 * 502 that another deployment may answer, never the gateway's 500.
 */
export function unreadableReply(err: unknown, from: ReplySource): GatewayError {
  if (GatewayError.isInstance(err) || (err instanceof Error && err.name === 'AbortError')) return toGatewayError(err);
  const provider = typeof from === 'string' ? from : from.provider;
  return new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${replySourceName(from)} returned a reply the gateway could not read.`, provider, cause: err });
}

/** Whose reply: a provider type alone, or the deployment and its provider type (`providers/upstream.ts`). */
export type ReplySource = string | { readonly provider: string; readonly deployment: string };

/** How a message names an upstream: `deployment (provider)`, or the one when they are the same. */
export function replySourceName(from: ReplySource): string {
  if (typeof from === 'string') return from;
  return from.deployment === from.provider ? from.provider : `${from.deployment} (${from.provider})`;
}

/** `decode()` of an upstream's whole reply, its failures as `unreadableReply` says. */
export function decodeReply<T>(from: ReplySource, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    throw unreadableReply(err, from);
  }
}

/** A non-negative decimal number of seconds or milliseconds, as retry-after headers give them. */
const DELAY = /^\s*\d+(?:\.\d+)?\s*$/;
/**
 * Every HTTP-date form (IMF-fixdate, RFC 850, asctime) starts with the day's name. `Date.parse` alone
 * takes "-5", "1, 2" or "abc 1" for dates in 2001, which would make a 429 mean "retry at once".
 */
const HTTP_DATE = /^\s*(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)/;

/** Parses a Retry-After header (seconds or HTTP date) or retry-after-ms into milliseconds; anything else is absent. */
export function parseRetryAfter(
  retryAfter: string | undefined | null,
  retryAfterMs?: string | undefined | null,
  now: number = Date.now(),
): number | undefined {
  if (retryAfterMs && DELAY.test(retryAfterMs)) return Number(retryAfterMs);
  if (!retryAfter) return undefined;
  if (DELAY.test(retryAfter)) return Number(retryAfter) * 1000;
  if (!HTTP_DATE.test(retryAfter)) return undefined;
  const date = Date.parse(retryAfter);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * The code of the 503 a request still open at a drain's deadline is told (the node adapter's shutdown):
 * the ledger stores the attempt it cancelled under this error kind, apart from a client's leaving.
 */
export const SERVER_SHUTDOWN_CODE = 'server_shutdown';
