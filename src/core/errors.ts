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
  /** The `type` of the OpenAI error shape. */
  openaiType: string;
}

export const ERROR_KINDS: Readonly<Record<ErrorKind, KindTraits>> = {
  rate_limited: { status: 429, retryable: true, fallbackable: true, openaiType: 'rate_limit_error' },
  overloaded: { status: 503, retryable: true, fallbackable: true, openaiType: 'server_error' },
  unavailable: { status: 503, retryable: true, fallbackable: true, openaiType: 'server_error' },
  upstream_error: { status: 502, retryable: true, fallbackable: true, openaiType: 'server_error' },
  timeout: { status: 504, retryable: true, fallbackable: true, openaiType: 'timeout_error' },
  network: { status: 502, retryable: true, fallbackable: true, openaiType: 'server_error' },
  bad_upstream_response: { status: 502, retryable: false, fallbackable: true, openaiType: 'server_error' },
  // Only configured special fallbacks (a bigger-context model, a laxer filter) may take these.
  context_window_exceeded: { status: 400, retryable: false, fallbackable: false, openaiType: 'invalid_request_error' },
  content_filtered: { status: 400, retryable: false, fallbackable: false, openaiType: 'invalid_request_error' },
  invalid_request: { status: 400, retryable: false, fallbackable: false, openaiType: 'invalid_request_error' },
  // A bad credential on one deployment says nothing about the others.
  authentication: { status: 502, retryable: false, fallbackable: true, openaiType: 'server_error' },
  permission: { status: 502, retryable: false, fallbackable: true, openaiType: 'server_error' },
  // The client's own credentials: a missing or unknown API key, or a key not allowed what it asked for.
  unauthenticated: { status: 401, retryable: false, fallbackable: false, openaiType: 'authentication_error' },
  forbidden: { status: 403, retryable: false, fallbackable: false, openaiType: 'permission_error' },
  not_found: { status: 404, retryable: false, fallbackable: false, openaiType: 'invalid_request_error' },
  budget_exceeded: { status: 429, retryable: false, fallbackable: false, openaiType: 'insufficient_quota' },
  residency_violation: { status: 403, retryable: false, fallbackable: false, openaiType: 'permission_error' },
  no_deployment_available: { status: 503, retryable: false, fallbackable: false, openaiType: 'server_error' },
  cancelled: { status: 499, retryable: false, fallbackable: false, openaiType: 'request_cancelled' },
  internal: { status: 500, retryable: false, fallbackable: false, openaiType: 'server_error' },
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
  /** Machine-readable code for the OpenAI error shape; defaults to the kind. */
  code?: string;
  param?: string;
  cause?: unknown;
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
  }

  /** True for GatewayErrors from any copy of this package. */
  static isInstance(value: unknown): value is GatewayError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /** Returns a copy attributed to a deployment (the provider layer does not know its deployment id). */
  withDeployment(deployment: string, provider: string): GatewayError {
    if (this.deployment === deployment && this.provider === provider) return this;
    return new GatewayError({ ...this.toInit(), deployment, provider });
  }

  /** Returns a copy whose answer tells the client when to come back. */
  withRetryAfter(ms: number): GatewayError {
    if (this.retryAfterMs === ms) return this;
    return new GatewayError({ ...this.toInit(), retryAfterMs: ms });
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
      cause: this.cause,
    };
  }

  /** The OpenAI error JSON body. Never includes prompts, secrets or upstream bodies verbatim. */
  toOpenAI(): { error: { message: string; type: string; param: string | null; code: string } } {
    // An upstream's words about our credentials can quote them (partial keys, signed requests).
    const credentials = (this.kind === 'authentication' || this.kind === 'permission') && this.upstreamStatus !== undefined;
    return {
      error: {
        message: credentials ? `Upstream ${this.provider ?? 'provider'} refused the gateway's credentials (${this.upstreamStatus}).` : this.message,
        type: ERROR_KINDS[this.kind].openaiType,
        param: this.param ?? null,
        code: this.code,
      },
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

/** Parses a Retry-After header (seconds or HTTP date) or retry-after-ms into milliseconds. */
export function parseRetryAfter(
  retryAfter: string | undefined | null,
  retryAfterMs?: string | undefined | null,
  now: number = Date.now(),
): number | undefined {
  if (retryAfterMs) {
    const ms = Number(retryAfterMs);
    if (Number.isFinite(ms) && ms >= 0) return ms;
  }
  if (!retryAfter) return undefined;
  const seconds = Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(retryAfter);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
