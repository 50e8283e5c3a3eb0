import { randomUUID } from 'node:crypto';
import { NEVER_CANCELLED } from '../core/cancel.js';
import { GatewayError, toGatewayError } from '../core/errors.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { AdmissionTicket, Operation } from '../core/events.js';
import { longestCacheTtl } from '../core/cache-ttl.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { embeddingPromptTokens, estimatePrompt, withEstimatedUsage, withSystemPrompt } from '../core/estimate.js';
import type { AssistantPart, BilledAttempt, ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, StreamPart } from '../core/types.js';
import { honestFinish, makeUsage } from '../core/types.js';
import { checkRequestFields, grantsRequestFields } from '../core/fields.js';
import type { ConfigInput, GatewayConfig } from '../config/schema.js';
import { isResolvedConfig, resolveConfig } from '../config/load.js';
import type { Deployment, RoutePlan } from '../routing/router.js';
import { executeWithFallback, type Executed, type ExecuteOptions, type ExecutePolicy } from '../routing/executor.js';
import { billedPrompt, chatCapabilities, outputLimit, quotaTokens, type Needs } from '../routing/filters.js';
import { mediaUrlsOf } from '../routing/media-urls.js';
import type { ChatResult, EmbedResult, Gateway, GatewayOptions, RequestOptions, StreamResult } from './api.js';
import { AttemptReporter, failure, type RequestMeta } from './observe.js';
import { failWith, outputFiltered, servedBy } from './outcome.js';
import type { OpenedStream } from './stream.js';
import { openStreamOn, reportedBy, type OpenedAttempt, type StreamDeps, type StreamOpening } from './open-stream.js';
import { openResumable, type ResumePorts } from './resume-opening.js';
import { Engine, type GatewayStatus, type OperatorAction } from './engine.js';
import type { DeploymentStatus } from '../routing/deployment-state.js';
import type { LoadReport } from '../routing/load.js';
import { applyGroupPolicy } from './policy.js';
import { checkChatRequest, checkEmbeddingRequest } from './check.js';
import { ShadowMirror } from './shadow.js';
import { countPlannedTokens, type TokenCount } from './count-tokens.js';
import { GatewayCache } from './cached.js';
import { ResponseCache } from '../cache/layer.js';
import { MemoryResponseCache } from '../cache/store.js';

// The types callers use (options, results, the Gateway interface) live in api.ts; re-exported here so
// `gateway.js` stays the one module to import them from.
export type { CacheStatus, ChatResult, EmbedResult, Gateway, GatewayOptions, QualityGate, RequestOptions, ResultHeaders, ServedBy, StreamResult } from './api.js';
export type { GatewayStatus, OperatorAction } from './engine.js';
export type { TokenCount } from './count-tokens.js';

const NO_TICKET: AdmissionTicket = { release: () => undefined };
/** Canonical requests have no unmapped fields of their own: only `passthrough` holds any. */
const MAPPED_NONE: ReadonlySet<string> = new Set();
const NO_PASSTHROUGH: Readonly<Record<string, never>> = Object.freeze({});
const isToolCall = (p: AssistantPart): boolean => p.type === 'tool-call';
/** What differs between executions: a whole answer's gate and reports, a stream's deferred success. */
type ExecutionExtras<T> = Pick<ExecuteOptions<T>, 'accept' | 'deferSuccess' | 'continues' | 'onRejected' | 'onAttemptError'>;

/** Builds a gateway from a config (validated here unless it came from loadConfigFile). Usable in-process. */
export function createGateway(input: ConfigInput | GatewayConfig, options: GatewayOptions = {}): Gateway {
  const config = isResolvedConfig(input) ? input : resolveConfig(input);
  for (const g of config.groups) {
    if (g.quality_gate !== undefined && !options.qualityGates?.[g.quality_gate]) {
      throw new GatewayError({ kind: 'internal', message: `invalid routing config: group "${g.name}" names quality gate "${g.quality_gate}", which createGateway was not given` });
    }
  }
  return new GatewayRuntime(config, options);
}

const GATEWAY_METHODS = ['chat', 'stream', 'embed', 'countTokens', 'models', 'ready', 'status', 'syncState', 'load', 'adoptOthersLoad', 'drain', 'undrain', 'resetBreaker', 'close'] as const satisfies ReadonlyArray<keyof Gateway>;

/** The gateway `createGateway` returns: the routing engine, observers, cache and shadows of one config. */
class GatewayRuntime implements Gateway {
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly engine: Engine;
  private readonly reporter: AttemptReporter;
  private readonly shadows: ShadowMirror;
  private readonly policy: ExecutePolicy;
  private readonly streamTimeoutMs: number;
  private readonly responseCache: ResponseCache;
  private readonly caching: GatewayCache;
  private readonly streams: StreamDeps;
  private readonly resumePorts: ResumePorts;

  constructor(
    readonly config: GatewayConfig,
    private readonly options: GatewayOptions,
  ) {
    const logger = (this.logger = options.logger ?? silentLogger);
    const clock = (this.clock = options.clock ?? systemClock);
    const random = (this.random = options.random ?? Math.random);
    const routing = config.routing;
    const engine = (this.engine = new Engine(config, { clock, random, logger, priceOf: options.priceOf, store: options.stateStore, createProvider: options.createProvider }));
    this.reporter = new AttemptReporter(options.observers ?? [], logger, () => clock.now(), options.tracing, config.logging.upstream_error_text);
    this.shadows = new ShadowMirror(this.reporter, clock, routing.attempt_timeout_ms, random, engine.router);
    this.policy = {
      clock,
      random,
      maxAttemptsPerDeployment: routing.max_attempts_per_deployment,
      deadlineMs: routing.deadline_ms,
      backoff: { baseMs: routing.backoff.base_ms, capMs: routing.backoff.cap_ms, maxRetryAfterMs: routing.backoff.max_retry_after_ms },
      budget: engine.budget,
      logger,
    };
    this.streamTimeoutMs = Math.min(routing.attempt_timeout_ms, routing.ttft_timeout_ms);
    this.responseCache = new ResponseCache(options.responseCache ?? new MemoryResponseCache(config.cache, () => clock.now()), logger, config);
    this.caching = new GatewayCache(this.responseCache, this.reporter, engine.deployments, clock);
    this.streams = { policy: this.policy, reporter: this.reporter, clock, logger, idleTimeoutMs: routing.stream_idle_timeout_ms, maxStreamMs: routing.stream_max_ms };
    this.resumePorts = {
      open: (opening) => this.openStream(opening),
      admitContinuation: (meta, targets, promptTokens, maxTokens, request) => this.admit(meta, targets, promptTokens, maxTokens, request, true),
      resumeTargets: (plan, needs, tried) => engine.router.resumeTargets(plan, needs, tried),
    };
    engine.sync?.start();
    engine.health?.start();
    // A caller may hold a method apart from the gateway (`const { chat } = gateway`), as it could when
    // createGateway returned a plain object.
    for (const name of GATEWAY_METHODS) Object.defineProperty(this, name, { value: (GatewayRuntime.prototype[name] as (...args: never[]) => unknown).bind(this), writable: true, configurable: true });
  }

  async chat(asked: ChatRequest, opts: RequestOptions = {}): Promise<ChatResult> {
    const { request, needs, plan } = this.prepareChat(asked, opts, false);
    const pending = this.caching.lookup(request, plan, opts.tags ?? {}, opts);
    const lookup = pending && (await pending);
    if (lookup?.hit) return { response: lookup.hit.response, servedBy: this.caching.hit(lookup.hit, this.metaFor('chat', opts, plan)), cache: 'hit' };
    const { meta, ticket } = await this.begin('chat', opts, plan, needs.promptTokens, request.maxOutputTokens, request);
    const reporter = this.reporter;
    reporter.describe(meta, request);
    const shadowing = this.shadows.sampled(plan);
    // The first attempt gave the answer, with no failure or rejection before it.
    let firstTry = true;
    try {
      const gateName = plan.group?.config.quality_gate;
      const gate = gateName === undefined ? undefined : this.options.qualityGates?.[gateName];
      // An answer the upstream filtered (200, finish_reason content_filter) is a content_filtered
      // failure only where the group says where such requests go; elsewhere it is returned as is.
      const rerouteFiltered = !plan.pinned && (plan.group?.special.content_filtered.length ?? 0) > 0;
      let filtered: Executed<ChatResponse> | undefined;
      let filteredSpent: BilledAttempt | undefined;
      const executed = await executeWithFallback<ChatResponse>(
        plan.deployments,
        async (a, s) => {
          const response = withEstimatedUsage(await a.deployment.provider.chat(request, reporter.callContext(meta, a, s)), billedPrompt(needs));
          response.finishReason = honestFinish(response.finishReason, response.content.some(isToolCall));
          if (!rerouteFiltered || response.finishReason !== 'content_filter') return response;
          filtered = { value: response, attempt: a };
          throw outputFiltered(a);
        },
        this.policy,
        this.common<ChatResponse>(plan, meta, opts, needs, this.config.routing.attempt_timeout_ms, request.passthrough ?? NO_PASSTHROUGH, {
          accept: gate ? (response, a) => gate(response, { request, deployment: a.deployment.id, group: meta.group }) : undefined,
          // A rejected or filtered answer was still paid for.
          onRejected: (a, response) => {
            firstTry = false;
            reporter.reportSpent(meta, a, { outcome: 'ok', usage: response.usage, usageEstimated: response.usageEstimated, answer: response });
          },
          onAttemptError: (a, error) => {
            firstTry = false;
            const paid = filtered?.attempt === a ? filtered.value : undefined;
            const spent = reporter.reportSpent(meta, a, paid ? { outcome: 'error', error, usage: paid.usage, usageEstimated: paid.usageEstimated, answer: paid } : failure(error, billedPrompt(needs)));
            if (paid) filteredSpent = spent;
          },
        }),
      ).catch((err: unknown) => {
        // Every fallback filtered too, or failed: the filtered answer is what the client would have had anyway.
        if (filtered && !(GatewayError.isInstance(err) && err.kind === 'cancelled')) {
          // The answer's own cost, not one of the attempts spent before it.
          meta.billed = meta.billed?.filter((b) => b !== filteredSpent);
          return filtered;
        }
        throw err;
      });
      const { value, attempt } = executed;
      // A filtered answer kept after every fallback failed was reported with its failure; its time is among the attempts'.
      const upstreamMs = executed === filtered ? undefined : reporter.report(meta, attempt, { outcome: 'ok', usage: value.usage, usageEstimated: value.usageEstimated, answer: value });
      if (shadowing && firstTry) this.shadows.copy(plan, attempt.deployment, request, needs, meta);
      if (lookup) this.caching.save(lookup, executed);
      return { response: value, servedBy: servedBy(attempt, meta, upstreamMs), headers: ticket.headers, cache: lookup && 'miss' };
    } catch (err) {
      return failWith(err, ticket, meta, request.messages.length - asked.messages.length);
    } finally {
      ticket.release();
    }
  }

  async stream(asked: ChatRequest, opts: RequestOptions = {}): Promise<StreamResult> {
    const { request, needs, plan } = this.prepareChat(asked, opts, true);
    const pending = this.caching.lookup(request, plan, opts.tags ?? {}, opts);
    const lookup = pending && (await pending);
    if (lookup?.hit) return this.caching.streamHit(lookup.hit, this.metaFor('stream', opts, plan), billedPrompt(needs));
    const { meta, ticket } = await this.begin('stream', opts, plan, needs.promptTokens, request.maxOutputTokens, request);
    this.reporter.describe(meta, request);
    const shadowing = this.shadows.sampled(plan);
    const opening: StreamOpening = { plan, meta, opts, needs, ticket, deployments: plan.deployments, requestFor: () => request };
    let opened: { parts: AsyncIterable<StreamPart>; first: OpenedAttempt };
    try {
      opened = plan.group?.config.stream_resume !== true || plan.pinned ? await this.openOnce(opening) : await openResumable(this.resumePorts, opening, request);
    } catch (err) {
      return failWith(err, ticket, meta, request.messages.length - asked.messages.length);
    }
    const { parts, first } = opened;
    // Attempt 1 opened it: no failure before it (a stream has no quality gate).
    if (shadowing && first.attempt.number === 1) this.shadows.copy(plan, first.attempt.deployment, request, needs, meta);
    // Its upstream time is known when it ends: the attempt's report completes it then.
    const served = (meta.served = servedBy(first.attempt, meta, undefined, first.ttftMs));
    return { parts: lookup ? this.caching.record(lookup, parts, first.attempt) : parts, servedBy: served, headers: ticket.headers, cache: lookup && 'miss', warnings: first.warnings, promptEstimate: billedPrompt(needs) };
  }

  async embed(request: EmbeddingRequest, opts: RequestOptions = {}): Promise<EmbedResult> {
    checkEmbeddingRequest(request);
    const promptTokens = embeddingPromptTokens(request);
    // Embedding inputs are limited per input, not by a chat context window.
    const needs: Needs = { capabilities: ['embeddings'], promptTokens: 0, residency: opts.residency };
    const plan = this.engine.router.plan({ model: request.model, needs, override: opts.override, overrideParam: opts.overrideParam, task: opts.task, access: opts.access });
    const passthrough = request.passthrough ?? NO_PASSTHROUGH;
    checkRequestFields(passthrough, MAPPED_NONE, plan.deployments);
    const { meta, ticket } = await this.begin('embed', opts, plan, promptTokens, 0, undefined);
    const reporter = this.reporter;
    try {
      const { value, attempt } = await executeWithFallback<EmbeddingResponse>(
        plan.deployments,
        (a, s) => a.deployment.provider.embed(request, reporter.callContext(meta, a, s)),
        this.policy,
        this.common<EmbeddingResponse>(plan, meta, opts, needs, this.config.routing.attempt_timeout_ms, passthrough, {
          onAttemptError: (a, error) => reporter.reportSpent(meta, a, failure(error, promptTokens)),
        }),
      );
      // An upstream that reports no usage is billed the gateway's estimate of the inputs, never nothing.
      const response = value.usageEstimated ? { ...value, usage: makeUsage({ prompt: promptTokens }) } : value;
      const upstreamMs = reporter.report(meta, attempt, { outcome: 'ok', usage: response.usage, usageEstimated: value.usageEstimated });
      return { response, servedBy: servedBy(attempt, meta, upstreamMs), headers: ticket.headers };
    } catch (err) {
      return failWith(err, ticket, meta);
    } finally {
      ticket.release();
    }
  }

  async countTokens(asked: ChatRequest, opts: RequestOptions = {}): Promise<TokenCount> {
    const { request, plan } = this.prepareChat(asked, opts, false);
    const upstream = await this.mayCount(plan, opts);
    return countPlannedTokens(request, plan, opts, { logger: this.logger, timeoutMs: this.config.routing.attempt_timeout_ms, upstream });
  }

  /**
   * Whether a count may call the upstream's counter: it spends the operator's credential and the
   * provider's own counting limits, shared by every caller, so it is admitted as a request of no tokens
   * (counted by the caller's requests-per-minute rules, refused under a spent hard budget). A caller
   * refused is answered the estimate: counting is free, and its clients size their context by it.
   */
  private async mayCount(plan: RoutePlan, opts: RequestOptions): Promise<boolean> {
    try {
      (await this.admit(this.metaFor('chat', opts, plan), plan.deployments, 0, 0, undefined)).release();
      return true;
    } catch (err) {
      const kind = toGatewayError(err).kind;
      if (kind === 'rate_limited' || kind === 'budget_exceeded') return false;
      throw err;
    }
  }

  models(): readonly string[] {
    return this.engine.router.modelNames();
  }

  ready(): boolean {
    return this.engine.ready();
  }

  status(): GatewayStatus {
    return this.engine.status();
  }

  syncState(): Promise<void> {
    return this.engine.sync?.pullOnce() ?? Promise.resolve();
  }

  load(): LoadReport {
    return this.engine.load();
  }

  adoptOthersLoad(others: LoadReport): void {
    this.engine.adoptOthersLoad(others);
  }

  drain(id: string, action: OperatorAction = {}): DeploymentStatus {
    return this.engine.drain(id, action);
  }

  undrain(id: string, action: OperatorAction = {}): DeploymentStatus {
    return this.engine.undrain(id, action);
  }

  resetBreaker(id: string, action: OperatorAction = {}): DeploymentStatus {
    return this.engine.resetBreaker(id, action);
  }

  async close(): Promise<void> {
    const engine = this.engine;
    this.shadows.close();
    await engine.sync?.stop();
    await engine.health?.stop();
    await this.responseCache.close();
    await Promise.all(
      [...engine.deployments.values()].map((d) => d.provider.close().catch((err: unknown) => this.logger.warn({ err: toGatewayError(err).message }, 'provider close failed'))),
    );
  }

  private metaFor(operation: Operation, opts: RequestOptions, plan: RoutePlan): RequestMeta {
    return { requestId: opts.requestId ?? randomUUID(), operation, group: plan.group?.config.name, tags: opts.tags ?? {}, billed: undefined, billedEstimated: false, upstreamMs: 0, served: undefined };
  }

  private async begin(operation: Operation, opts: RequestOptions, plan: RoutePlan, promptTokens: number, maxTokens: number | undefined, chat: ChatRequest | undefined): Promise<{ meta: RequestMeta; ticket: AdmissionTicket }> {
    const meta = this.metaFor(operation, opts, plan);
    try {
      return { meta, ticket: await this.admit(meta, plan.deployments, promptTokens, maxTokens, chat) };
    } catch (err) {
      // A budget's or rate limit's refusal says which group it refused, as the access line writes it.
      throw GatewayError.isInstance(err) ? err.withRequest(meta.group, undefined) : err;
    }
  }

  /** Budgets and rate limits: a reservation for calls to `candidates`, or a refusal (budget_exceeded, rate_limited). */
  private async admit(meta: RequestMeta, candidates: readonly Deployment[], promptTokens: number, maxTokens: number | undefined, chat: ChatRequest | undefined, continuation = false): Promise<AdmissionTicket> {
    const admission = this.options.admission;
    if (!admission) return NO_TICKET;
    return admission.admit({
      requestId: meta.requestId,
      operation: meta.operation,
      group: meta.group,
      candidates: candidates.map((d) => d.id),
      tags: meta.tags,
      estimatedPromptTokens: promptTokens,
      maxCompletionTokens: maxTokens,
      promptCacheTtl: chat && longestCacheTtl(chat),
      continuation,
    });
  }

  /**
   * One request's execution options, always built by this one literal: spreading them into another
   * literal that overrides a field left V8 a slow, dictionary-mode object (8 % of a request's CPU).
   */
  private common<T>(plan: RoutePlan, meta: RequestMeta, opts: RequestOptions, needs: Needs, attemptTimeoutMs: number, passthrough: object, extra: ExecutionExtras<T> = {}): ExecuteOptions<T> {
    const { engine, reporter } = this;
    return {
      signal: opts.signal ?? NEVER_CANCELLED,
      requestId: meta.requestId,
      attemptTimeoutMs,
      quotaTokens: quotaTokens(needs),
      pinned: plan.pinned,
      // A special fallback that would not carry the request's passthrough fields is not offered it.
      special: plan.group ? (kind, tried) => engine.router.special(plan, kind, needs, tried).filter((d) => grantsRequestFields(passthrough, MAPPED_NONE, d)) : undefined,
      accept: extra.accept,
      deferSuccess: extra.deferSuccess ?? false,
      continues: extra.continues,
      onRejected: extra.onRejected,
      onAttemptError: extra.onAttemptError ?? ((attempt, error) => reporter.reportSpent(meta, attempt, failure(error, billedPrompt(needs)))),
    };
  }

  private prepareChat(asked: ChatRequest, opts: RequestOptions, streaming: boolean): { request: ChatRequest; needs: Needs; plan: RoutePlan } {
    checkChatRequest(asked);
    const capabilities = chatCapabilities(asked, streaming);
    const prompt = estimatePrompt(asked);
    const needs: Needs = {
      capabilities,
      promptTokens: prompt.tokens,
      contextTokens: prompt.floor,
      billedPromptTokens: prompt.likely,
      residency: opts.residency,
      maxTokens: outputLimit(asked, opts.maxTokensParam),
      // Only a request with images or files is looked through for URLs.
      mediaUrls: capabilities.includes('vision') || capabilities.includes('files') ? mediaUrlsOf(asked) : undefined,
    };
    const plan = this.engine.router.plan({ model: asked.model, needs, override: opts.override, overrideParam: opts.overrideParam, task: opts.task, access: opts.access });
    checkRequestFields(asked.passthrough ?? NO_PASSTHROUGH, MAPPED_NONE, plan.deployments, opts.apiFields);
    const request = applyGroupPolicy(asked, plan.group);
    // The group's system prompt goes upstream and is billed: admission reserves it too.
    const systemPrompt = plan.group?.config.system_prompt;
    if (systemPrompt !== undefined) {
      const policed = withSystemPrompt(prompt, systemPrompt);
      needs.promptTokens = policed.tokens;
      needs.contextTokens = policed.floor;
      needs.billedPromptTokens = policed.likely;
    }
    return { request, needs, plan };
  }

  /** A stream from the first deployment that opens one; a break after its first content part ends it. */
  private async openOnce(opening: StreamOpening): Promise<{ parts: AsyncIterable<StreamPart>; first: OpenedAttempt }> {
    const first = await this.openStream(opening);
    return { parts: first.parts, first };
  }

  private openStream(s: StreamOpening): Promise<OpenedAttempt> {
    const passthrough = s.requestFor(s.deployments[0] as Deployment).passthrough ?? NO_PASSTHROUGH;
    const { reporter } = this;
    return openStreamOn(
      this.streams,
      s,
      this.common<OpenedStream>(s.plan, s.meta, s.opts, s.needs, this.streamTimeoutMs, passthrough, {
        deferSuccess: true,
        continues: s.continues,
        // An attempt that failed before its first content is billed what its upstream reported by then, if anything.
        onAttemptError: (a, error) => reporter.reportSpent(s.meta, a, failure(error, billedPrompt(s.needs), reportedBy(a))),
      }),
    );
  }
}
