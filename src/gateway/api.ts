import type { CancelSignal } from '../core/cancel.js';
import type { Clock } from '../core/clock.js';
import type { AdmissionControl, AttemptObserver, AttemptTracing } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { BilledAttempt, ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, StreamPart, Warning } from '../core/types.js';
import type { DeploymentConfig, GatewayConfig } from '../config/schema.js';
import type { Provider } from '../core/provider.js';
import type { Access } from '../routing/access.js';
import type { DeploymentStatus } from '../routing/deployment-state.js';
import type { StateStore } from '../state/store.js';
import type { CacheRequestOptions } from '../cache/layer.js';
import type { ResponseCacheStore } from '../cache/store.js';
import type { GatewayStatus, OperatorAction } from './engine.js';
import type { TokenCount } from './count-tokens.js';
import type { LoadReport } from '../routing/load.js';

// The gateway's contract with its callers (front doors, the in-process library): options, results and
// the Gateway interface. `createGateway` (gateway.ts) builds one; gateway.ts re-exports these types.

/** Judges a cheaper tier's answer; false escalates the request to the next (dearer) deployment. */
export type QualityGate = (response: ChatResponse, context: { request: ChatRequest; deployment: string; group: string | undefined }) => boolean;

export interface GatewayOptions {
  logger?: Logger;
  clock?: Clock;
  random?: () => number;
  observers?: AttemptObserver[];
  /** Hands out each attempt's `traceparent` for its upstream call (the tracer); none is sent when absent. */
  tracing?: AttemptTracing;
  /** Budgets and rate limits: consulted before any upstream call; the ticket is released when the request ends. */
  admission?: AdmissionControl;
  /** Price of a deployment for cost-optimized routing (e.g. the ledger's catalog); overrides `price` hints. */
  priceOf?: (deploymentId: string) => number | undefined;
  /** Quality gates by the name groups give in `quality_gate`. */
  qualityGates?: Record<string, QualityGate>;
  /** Where breaker state is shared (Redis across replicas); in-process only when absent. */
  stateStore?: StateStore;
  /** Supplies providers in-process (custom models, tests); deployments it returns undefined for use the registry. */
  createProvider?: (deployment: DeploymentConfig) => Provider | undefined;
  /** Where cached answers live (Redis across replicas); an in-process LRU bounded by `cache.max_entries` and `cache.max_bytes` when absent. */
  responseCache?: ResponseCacheStore;
}

/** Per-request options from the caller (the HTTP server or an in-process user); `cache` is `x-switchyard-cache`. */
export interface RequestOptions extends CacheRequestOptions {
  /** Aborts the request; a real AbortSignal is one. */
  signal?: CancelSignal;
  requestId?: string;
  /** Attribution for the ledger and budgets: api key id, team, user, free-form tags. */
  tags?: Record<string, string>;
  /** Geography that must serve the request (from the API key; never loosened by the client). */
  residency?: string;
  /** Explicit deployment (header `x-switchyard-deployment`, else the body's `switchyard.deployment`). */
  override?: string;
  /** Where `override` came from, for a refusal's `param`: `switchyard.deployment`; default the header. */
  overrideParam?: string;
  /** Task type (header `x-switchyard-task`, else the body's `switchyard.task`), routing `model: "default"` to the group serving it. */
  task?: string;
  /**
   * The client's name for the completion-token limit (`max_tokens`, `max_completion_tokens`,
   * `max_output_tokens`), so that a limit no deployment can give is refused in the client's terms;
   * `maxOutputTokens` when absent.
   */
  maxTokensParam?: string;
  /**
   * The fields of the client's API that its door does not map (OpenAI's `logprobs`, `store`, ...): one a
   * deployment does not let through is refused as a parameter the gateway does not support, not as an
   * unknown one. None when absent.
   */
  apiFields?: ReadonlySet<string>;
  /** What the caller's API key may route to; the config's defaults (`routing.allow_direct_deployments`) when absent. */
  access?: Access;
}

/** Who answered a request. */
export interface ServedBy {
  deployment: string;
  provider: string;
  region: string | undefined;
  model: string;
  group: string | undefined;
  attempts: number;
  requestId: string;
  /**
   * The request's attempts before the answering one that were billed (failed after their request was
   * sent, or answered and were refused), each with its usage; absent when none (most requests).
   */
  failed?: readonly BilledAttempt[] | undefined;
  /**
   * Milliseconds the answering attempt spent with its upstream, by the gateway's clock: from its start
   * (the request about to be sent) to its whole answer read; a stream's to its end, set when it ends
   * (undefined before), a resumed stream's summed over the attempts that streamed it. Undefined for a
   * cached answer.
   */
  upstreamMs?: number | undefined;
  /**
   * Milliseconds all of the request's attempts spent with their upstreams, failed ones included (0 for a
   * cached answer); a stream's grows when it ends. The rest of the request's time is the gateway's.
   */
  attemptsMs?: number | undefined;
  /** A stream's: its answering attempt's time from its start to its first content part (the ledger's `ttft_ms`). */
  ttftMs?: number | undefined;
}

/** Response headers admission control asks the answer to carry (`x-ratelimit-*`); absent when none. */
export type ResultHeaders = Readonly<Record<string, string>> | undefined;

/** `x-switchyard-cache`: whether a request that used the response cache was answered from it. */
export type CacheStatus = 'hit' | 'miss' | undefined;

export interface ChatResult {
  response: ChatResponse;
  servedBy: ServedBy;
  headers?: ResultHeaders;
  cache?: CacheStatus;
}

export interface StreamResult {
  servedBy: ServedBy;
  /**
   * Read to its end (`for await`: the attempt is settled, its usage recorded, when the loop asks past
   * the last part), or stopped with `return()` (the upstream is closed and what was seen billed). A
   * caller that calls `next()` by hand must do one or the other: stopping silently after the last part
   * leaves the attempt unsettled and its admission held.
   */
  parts: AsyncIterable<StreamPart>;
  /** Settings the serving provider could not honour (from the stream's start part). */
  warnings?: readonly Warning[];
  headers?: ResultHeaders;
  cache?: CacheStatus;
  /**
   * The gateway's estimate of the prompt's input tokens (the one admission reserved), for a door whose
   * API states the input count before the upstream's own count arrives (Anthropic's message_start).
   */
  promptEstimate?: number;
}

export interface EmbedResult {
  response: EmbeddingResponse;
  servedBy: ServedBy;
  headers?: ResultHeaders;
}

export interface Gateway {
  readonly config: GatewayConfig;
  chat(request: ChatRequest, options?: RequestOptions): Promise<ChatResult>;
  /** Resolves once a deployment has produced its first content part; later failures throw from `parts`. */
  stream(request: ChatRequest, options?: RequestOptions): Promise<StreamResult>;
  embed(request: EmbeddingRequest, options?: RequestOptions): Promise<EmbedResult>;
  /**
   * The request's input tokens, routed as `chat` would route it (access, residency, the group's system
   * prompt): counted by the first planned deployment whose upstream counts for free, else the gateway's
   * estimate (`estimated`). Free: nothing is admitted against budgets or written to the ledger.
   */
  countTokens(request: ChatRequest, options?: RequestOptions): Promise<TokenCount>;
  /** Model names callers without an API key of their own may ask for. */
  models(): readonly string[];
  /** True when at least one deployment can take traffic. */
  ready(): boolean;
  /** Per-deployment statistics, breaker and health state. */
  status(): GatewayStatus;
  /**
   * Pulls breaker states other replicas published to the state store now (a timer does it every
   * `routing.state_sync_ms`; a serverless adapter calls it per invocation). No-op without a store.
   */
  syncState(): Promise<void>;
  /**
   * This process's own use of each deployment's provider quota and provisioned capacity (the
   * deployments it uses at all), which `serve --workers` relays to the other workers.
   */
  load(): LoadReport;
  /**
   * Adopts what the other workers of `serve --workers` use of each deployment (their relayed sum; a
   * deployment left out: nothing), which quota and capacity checks add to this process's own counts.
   */
  adoptOthersLoad(others: LoadReport): void;
  /**
   * Operator actions (the admin API), audited in the log and shared through the state store so every
   * replica applies them within one `routing.state_sync_ms`. An unknown id is a not_found error.
   * A drained deployment starts no request, not even an explicitly chosen one.
   */
  drain(id: string, action?: OperatorAction): DeploymentStatus;
  undrain(id: string, action?: OperatorAction): DeploymentStatus;
  resetBreaker(id: string, action?: OperatorAction): DeploymentStatus;
  close(): Promise<void>;
}
