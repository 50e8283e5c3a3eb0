import type { GatewayError } from './errors.js';
import type { Usage } from './types.js';
import type { CacheTtl } from './cache-ttl.js';

export type Operation = 'chat' | 'stream' | 'embed';

/** Why an attempt happened: the first try, a retry of the same deployment, a fallback, or a mirror. */
export type AttemptRole = 'primary' | 'retry' | 'fallback' | 'shadow';

/** One upstream attempt, reported when it ends (for streams: when the stream ends or breaks). */
export interface AttemptRecord {
  requestId: string;
  attempt: number;
  operation: Operation;
  role: AttemptRole;
  group: string | undefined;
  deployment: string;
  provider: string;
  model: string;
  region: string | undefined;
  /** Why this attempt happened after the first (the previous error kind, `circuit_open`, `quality_gate`, `stream_resume`). */
  cause: string | undefined;
  /** The deployment the request fell back from to make this attempt (tried or skipped). */
  fallbackFrom: string | undefined;
  startedAt: number;
  latencyMs: number;
  /** Time to the first streamed content part. */
  ttftMs: number | undefined;
  usage: Usage | undefined;
  /** True when usage was counted by the gateway because the upstream never reported it. */
  usageEstimated: boolean;
  outcome: 'ok' | 'error' | 'cancelled';
  error: GatewayError | undefined;
  /** Caller attribution: api key id, team, user and free-form tags. */
  tags: Readonly<Record<string, string>>;
  /** An answer from the response cache: no upstream call, cost 0 (`usage` is what it saved). */
  cacheHit?: boolean;
  /** Share of the deployment's provider quota left (0..1) once this attempt is counted; absent without a quota. */
  quotaHeadroom?: number;
  /** The request's sampling scalars (never its content), for trace attributes. */
  params?: RequestParams;
  /** What the upstream said of its answer, for trace attributes. */
  response?: ResponseFacts;
  /** The span its upstream call named in its `traceparent` (tracing on, a call made). */
  span?: AttemptSpan;
}

/**
 * Scalars of a chat request that describe it without its content (the OTel GenAI `gen_ai.request.*`
 * and `gen_ai.output.type` attributes). The optional ones are set only when the request has them.
 */
export interface RequestParams {
  maxTokens: number | undefined;
  temperature: number | undefined;
  topP: number | undefined;
  topK?: number;
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  /** The request's own stop sequences (not a copy). */
  stopSequences?: readonly string[];
  /** What the request asked the answer to be: `json` for a JSON response format (a schema or not), `text` for an explicit text one. */
  outputType?: 'text' | 'json';
}

/** Scalars of an upstream answer that describe it without its content. */
export interface ResponseFacts {
  id: string | undefined;
  model: string | undefined;
  finishReason: string | undefined;
}

/**
 * An attempt's span, chosen before its upstream call (whose `traceparent` names it) and carried by the
 * attempt to its record: the span is exported in its request's trace even when the attempt ends after
 * the request's own span (a shadow copy).
 */
export interface AttemptSpan {
  /** The W3C `traceparent` the upstream call sends. */
  readonly traceparent: string;
  /** The client's W3C `tracestate` (validated), sent with `traceparent`; undefined when it sent none. */
  readonly tracestate: string | undefined;
  readonly traceId: string;
  /** The attempt span's id; an unsampled request passes its server span's on, and exports nothing. */
  readonly spanId: string;
  /** The request's server span. */
  readonly parentSpanId: string;
  readonly sampled: boolean;
}

/** Hands out an attempt's span before it starts (the span is exported after the attempt ends). */
export interface AttemptTracing {
  attemptSpan(requestId: string): AttemptSpan | undefined;
}

/** Anything that wants to hear about attempts: the ledger, metrics, stats. Must not throw or block. */
export interface AttemptObserver {
  onAttempt(record: AttemptRecord): void;
}

/** What admission control (budgets) sees of a request before any upstream is called. */
export interface AdmissionRequest {
  requestId: string;
  operation: Operation;
  group: string | undefined;
  /** Deployment ids that may serve it, in planned order (for a cost estimate). */
  candidates: readonly string[];
  tags: Readonly<Record<string, string>>;
  estimatedPromptTokens: number;
  maxCompletionTokens: number | undefined;
  /** The longest ttl of its prompt-cache hints (`core/cache-ttl.ts`): a one-hour write is dearer to reserve. */
  promptCacheTtl?: CacheTtl;
  /**
   * A resumed stream's continuation, admitted after the broken attempt released the request's first
   * ticket: its tokens and cost are reserved again, but it is the same request (not counted as another).
   */
  continuation?: boolean;
}

/** A reservation held while a request runs; released once, after its last attempt was reported. */
export interface AdmissionTicket {
  release(): void;
  /** Response headers the admission wants the client to see (e.g. `x-ratelimit-*`); absent when none. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Admission control: refuses a request (throwing a `budget_exceeded` or `rate_limited` GatewayError)
 * or reserves its estimated cost or tokens until it ends, so that concurrent requests cannot overshoot
 * a budget or a rate limit.
 */
export interface AdmissionControl {
  admit(request: AdmissionRequest): Promise<AdmissionTicket> | AdmissionTicket;
}
