import { randomUUID } from 'node:crypto';
import { NEVER_CANCELLED } from '../core/cancel.js';
import { GatewayError, toGatewayError } from '../core/errors.js';
import { systemClock } from '../core/clock.js';
import type { AdmissionTicket, Operation } from '../core/events.js';
import { silentLogger } from '../core/logger.js';
import { estimatePromptTokens, estimateTokens, withEstimatedUsage } from '../core/estimate.js';
import type { ChatRequest, ChatResponse, EmbeddingResponse } from '../core/types.js';
import { checkRequestFields, grantsRequestFields } from '../core/fields.js';
import type { ConfigInput, GatewayConfig } from '../config/schema.js';
import { isResolvedConfig, resolveConfig } from '../config/load.js';
import type { Deployment, RoutePlan } from '../routing/router.js';
import { executeWithFallback, type Attempt, type Executed, type ExecuteOptions, type ExecutePolicy } from '../routing/executor.js';
import { chatCapabilities, outputLimit, quotaTokens, type Needs } from '../routing/filters.js';
import type { Gateway, GatewayOptions, RequestOptions, ServedBy } from './api.js';
import { AttemptReporter, type RequestMeta } from './observe.js';
import type { OpenedStream, StreamSettlement } from './stream.js';
import { openStreamOn, type OpenedAttempt, type StreamDeps, type StreamOpening } from './open-stream.js';
import { continuationRequest, resumable, type Resume } from './resume.js';
import { Engine } from './engine.js';
import { applyGroupPolicy } from './policy.js';
import { checkChatRequest, checkEmbeddingRequest } from './check.js';
import { ShadowMirror } from './shadow.js';
import { countPlannedTokens } from './count-tokens.js';
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
/** What differs between executions: a whole answer's gate and reports, a stream's deferred success. */
type ExecutionExtras<T> = Pick<ExecuteOptions<T>, 'accept' | 'deferSuccess' | 'continues' | 'onRejected' | 'onAttemptError'>;

/** Builds a gateway from a config (validated here unless it came from loadConfigFile). Usable in-process. */
export function createGateway(input: ConfigInput | GatewayConfig, options: GatewayOptions = {}): Gateway {
  const config = isResolvedConfig(input) ? input : resolveConfig(input);
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const routing = config.routing;
  const engine = new Engine(config, { clock, random, logger, priceOf: options.priceOf, store: options.stateStore, createProvider: options.createProvider });
  for (const g of config.groups) {
    if (g.quality_gate !== undefined && !options.qualityGates?.[g.quality_gate]) {
      throw new GatewayError({ kind: 'internal', message: `invalid routing config: group "${g.name}" names quality gate "${g.quality_gate}", which createGateway was not given` });
    }
  }
  const reporter = new AttemptReporter(options.observers ?? [], logger, () => clock.now(), options.tracing);
  const shadows = new ShadowMirror(reporter, clock, routing.attempt_timeout_ms);
  const policy: ExecutePolicy = {
    clock,
    random,
    maxAttemptsPerDeployment: routing.max_attempts_per_deployment,
    deadlineMs: routing.deadline_ms,
    backoff: { baseMs: routing.backoff.base_ms, capMs: routing.backoff.cap_ms, maxRetryAfterMs: routing.backoff.max_retry_after_ms },
    budget: engine.budget,
    logger,
  };
  const streamTimeoutMs = Math.min(routing.attempt_timeout_ms, routing.ttft_timeout_ms);
  const responseCache = new ResponseCache(options.responseCache ?? new MemoryResponseCache(config.cache.max_entries, () => clock.now()), logger);
  const caching = new GatewayCache(responseCache, reporter, engine.deployments, clock);
  engine.sync?.start();
  engine.health?.start();

  const metaFor = (operation: Operation, opts: RequestOptions, plan: RoutePlan): RequestMeta => ({ requestId: opts.requestId ?? randomUUID(), operation, group: plan.group?.config.name, tags: opts.tags ?? {} });

  async function begin(operation: Operation, opts: RequestOptions, plan: RoutePlan, promptTokens: number, maxTokens: number | undefined) {
    const meta = metaFor(operation, opts, plan);
    return { meta, ticket: await admit(meta, plan.deployments, promptTokens, maxTokens) };
  }

  /** Budgets: a reservation for calls to `candidates`, or a refusal (budget_exceeded). */
  async function admit(meta: RequestMeta, candidates: readonly Deployment[], promptTokens: number, maxTokens: number | undefined): Promise<AdmissionTicket> {
    if (!options.admission) return NO_TICKET;
    return options.admission.admit({
      requestId: meta.requestId,
      operation: meta.operation,
      group: meta.group,
      candidates: candidates.map((d) => d.id),
      tags: meta.tags,
      estimatedPromptTokens: promptTokens,
      maxCompletionTokens: maxTokens,
    });
  }

  /**
   * One request's execution options, always built by this one literal: spreading them into another
   * literal that overrides a field left V8 a slow, dictionary-mode object (8 % of a request's CPU).
   */
  function common<T>(plan: RoutePlan, meta: RequestMeta, opts: RequestOptions, needs: Needs, attemptTimeoutMs: number, passthrough: object, extra: ExecutionExtras<T> = {}): ExecuteOptions<T> {
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
      onAttemptError: extra.onAttemptError ?? ((attempt, error) => reporter.report(meta, attempt, { outcome: 'error', error })),
    };
  }

  function prepareChat(asked: ChatRequest, opts: RequestOptions, streaming: boolean) {
    checkChatRequest(asked);
    const needs: Needs = {
      capabilities: chatCapabilities(asked, streaming),
      promptTokens: estimatePromptTokens(asked),
      residency: opts.residency,
      maxTokens: outputLimit(asked, opts.maxTokensParam),
    };
    const plan = engine.router.plan({ model: asked.model, needs, override: opts.override, task: opts.task, access: opts.access });
    checkRequestFields(asked.passthrough ?? NO_PASSTHROUGH, MAPPED_NONE, plan.deployments);
    const request = applyGroupPolicy(asked, plan.group);
    return { request, needs, plan };
  }

  function maybeShadow(plan: RoutePlan, request: ChatRequest, needs: Needs, meta: RequestMeta): void {
    const share = plan.group?.config.shadow?.share;
    if (share === undefined || plan.pinned || random() >= share) return;
    shadows.mirror(engine.router.shadowTargets(plan, plan.deployments[0]?.id ?? '', needs), request, meta);
  }

  const streams: StreamDeps = { policy, reporter, clock, logger, idleTimeoutMs: routing.stream_idle_timeout_ms };
  const openStream = (s: StreamOpening): Promise<OpenedAttempt> =>
    openStreamOn(streams, s, common<OpenedStream>(s.plan, s.meta, s.opts, s.needs, streamTimeoutMs, s.requestFor(s.deployments[0] as Deployment).passthrough ?? NO_PASSTHROUGH, { deferSuccess: true, continues: s.continues }));

  function servedBy(attempt: Attempt, meta: RequestMeta): ServedBy {
    const d = attempt.deployment.config;
    return { deployment: d.id, provider: d.provider, region: d.region, model: d.model, group: meta.group, attempts: attempt.number, requestId: meta.requestId };
  }

  return {
    config,

    async chat(asked, opts = {}) {
      const { request, needs, plan } = prepareChat(asked, opts, false);
      const pending = caching.lookup(request, plan, opts.tags ?? {}, opts);
      const lookup = pending && (await pending);
      if (lookup?.hit) return { response: lookup.hit.response, servedBy: caching.hit(lookup.hit, metaFor('chat', opts, plan)), cache: 'hit' };
      const { meta, ticket } = await begin('chat', opts, plan, needs.promptTokens, request.maxOutputTokens);
      reporter.describe(meta, request);
      try {
        maybeShadow(plan, request, needs, meta);
        const gateName = plan.group?.config.quality_gate;
        const gate = gateName === undefined ? undefined : options.qualityGates?.[gateName];
        // An answer the upstream filtered (200, finish_reason content_filter) is a content_filtered
        // failure only where the group says where such requests go; elsewhere it is returned as is.
        const rerouteFiltered = !plan.pinned && (plan.group?.special.content_filtered.length ?? 0) > 0;
        let filtered: Executed<ChatResponse> | undefined;
        const executed = await executeWithFallback<ChatResponse>(
          plan.deployments,
          async (a, s) => {
            const response = withEstimatedUsage(await a.deployment.provider.chat(request, reporter.callContext(meta, a, s)), needs.promptTokens);
            if (!rerouteFiltered || response.finishReason !== 'content_filter') return response;
            filtered = { value: response, attempt: a };
            throw outputFiltered(a);
          },
          policy,
          common<ChatResponse>(plan, meta, opts, needs, routing.attempt_timeout_ms, request.passthrough ?? NO_PASSTHROUGH, {
            accept: gate ? (response, a) => gate(response, { request, deployment: a.deployment.id, group: meta.group }) : undefined,
            // A rejected or filtered answer was still paid for.
            onRejected: (a, response) => reporter.report(meta, a, { outcome: 'ok', usage: response.usage, usageEstimated: response.usageEstimated, answer: response }),
            onAttemptError: (a, error) => {
              const paid = filtered?.attempt === a ? filtered.value : undefined;
              reporter.report(meta, a, { outcome: 'error', error, usage: paid?.usage, usageEstimated: paid?.usageEstimated, answer: paid });
            },
          }),
        ).catch((err: unknown) => {
          // Every fallback filtered too, or failed: the filtered answer is what the client would have had anyway.
          if (filtered && !(GatewayError.isInstance(err) && err.kind === 'cancelled')) return filtered;
          throw err;
        });
        const { value, attempt } = executed;
        if (executed !== filtered) reporter.report(meta, attempt, { outcome: 'ok', usage: value.usage, usageEstimated: value.usageEstimated, answer: value });
        if (lookup) caching.save(lookup, value, attempt);
        return { response: value, servedBy: servedBy(attempt, meta), headers: ticket.headers, cache: lookup && 'miss' };
      } catch (err) {
        return failWith(err, ticket);
      } finally {
        ticket.release();
      }
    },

    async stream(asked, opts = {}) {
      const { request, needs, plan } = prepareChat(asked, opts, true);
      const pending = caching.lookup(request, plan, opts.tags ?? {}, opts);
      const lookup = pending && (await pending);
      if (lookup?.hit) return { parts: caching.replay(lookup.hit), servedBy: caching.hit(lookup.hit, metaFor('stream', opts, plan)), cache: 'hit' };
      const { meta, ticket } = await begin('stream', opts, plan, needs.promptTokens, request.maxOutputTokens);
      reporter.describe(meta, request);
      maybeShadow(plan, request, needs, meta);
      if (plan.group?.config.stream_resume !== true || plan.pinned) {
        let opened: OpenedAttempt;
        try {
          opened = await openStream({ plan, meta, opts, needs, ticket, deployments: plan.deployments, requestFor: () => request });
        } catch (err) {
          return failWith(err, ticket);
        }
        const { parts, attempt, warnings } = opened;
        return { parts: lookup ? caching.record(lookup, parts, attempt) : parts, servedBy: servedBy(attempt, meta), headers: ticket.headers, cache: lookup && 'miss', warnings };
      }
      const tried = new Set<string>();
      let broken: StreamSettlement | undefined;
      let first: OpenedAttempt;
      try {
        first = await openStream({ plan, meta, opts, needs, ticket, deployments: plan.deployments, requestFor: () => request, tried, onSettled: (s) => (broken = s) });
      } catch (err) {
        return failWith(err, ticket);
      }
      const resume: Resume = async (sent) => {
        const spent = broken;
        if (!spent) return undefined;
        // Filtered and admitted as the longer of the two continuation requests (the instruction one).
        const longest = continuationRequest(request, sent, false);
        const more: Needs = { ...needs, promptTokens: estimatePromptTokens(longest) };
        const deployments = engine.router.resumeTargets(plan, more, tried);
        if (deployments.length === 0) return undefined;
        const admitted = await admit(meta, deployments, more.promptTokens, longest.maxOutputTokens);
        const next = await openStream({
          plan,
          meta,
          opts,
          needs: more,
          ticket: admitted,
          deployments,
          requestFor: (d) => continuationRequest(request, sent, d.provider.prefill === true),
          tried,
          continues: { attempts: first.attempt.number, cause: 'stream_resume' },
        });
        const from = first.attempt.deployment.config;
        const to = next.attempt.deployment.config;
        return {
          parts: next.parts,
          from: from.id,
          to: to.id,
          spent: { deployment: from.id, provider: from.provider, model: from.model, region: from.region, usage: spent.usage, estimated: spent.usageEstimated },
          continuing: { deployment: to.id, provider: to.provider, model: to.model, region: to.region },
        };
      };
      const parts = resumable(first.parts, resume);
      return { parts: lookup ? caching.record(lookup, parts, first.attempt) : parts, servedBy: servedBy(first.attempt, meta), headers: ticket.headers, cache: lookup && 'miss', warnings: first.warnings };
    },

    async embed(request, opts = {}) {
      checkEmbeddingRequest(request);
      const promptTokens = request.input.reduce((n, t) => n + estimateTokens(t), 0);
      // Embedding inputs are limited per input, not by a chat context window.
      const needs: Needs = { capabilities: ['embeddings'], promptTokens: 0, residency: opts.residency };
      const plan = engine.router.plan({ model: request.model, needs, override: opts.override, task: opts.task, access: opts.access });
      const passthrough = request.passthrough ?? NO_PASSTHROUGH;
      checkRequestFields(passthrough, MAPPED_NONE, plan.deployments);
      const { meta, ticket } = await begin('embed', opts, plan, promptTokens, 0);
      try {
        const { value, attempt } = await executeWithFallback<EmbeddingResponse>(
          plan.deployments,
          (a, s) => a.deployment.provider.embed(request, reporter.callContext(meta, a, s)),
          policy,
          common<EmbeddingResponse>(plan, meta, opts, needs, routing.attempt_timeout_ms, passthrough),
        );
        reporter.report(meta, attempt, { outcome: 'ok', usage: value.usage });
        return { response: value, servedBy: servedBy(attempt, meta), headers: ticket.headers };
      } catch (err) {
        return failWith(err, ticket);
      } finally {
        ticket.release();
      }
    },

    async countTokens(asked, opts = {}) {
      const { request, plan } = prepareChat(asked, opts, false);
      return countPlannedTokens(request, plan, opts, { logger, timeoutMs: routing.attempt_timeout_ms });
    },

    models: () => engine.router.modelNames(),

    ready: () => engine.ready(),

    status: () => engine.status(),

    syncState: () => engine.sync?.pullOnce() ?? Promise.resolve(),

    drain: (id, action = {}) => engine.drain(id, action),
    undrain: (id, action = {}) => engine.undrain(id, action),
    resetBreaker: (id, action = {}) => engine.resetBreaker(id, action),

    async close() {
      shadows.close();
      await engine.sync?.stop();
      await engine.health?.stop();
      await responseCache.close();
      await Promise.all(
        [...engine.deployments.values()].map((d) => d.provider.close().catch((err: unknown) => logger.warn({ err: toGatewayError(err).message }, 'provider close failed'))),
      );
    },
  };
}

/** Rethrows a request's failure with its admission headers (`x-ratelimit-*`), which every answer carries. */
function failWith(err: unknown, ticket: AdmissionTicket): never {
  throw GatewayError.isInstance(err) ? err.withHeaders(ticket.headers) : err;
}

function outputFiltered(a: Attempt): GatewayError {
  const id = a.deployment.id;
  return new GatewayError({ kind: 'content_filtered', message: `Deployment ${id} filtered its answer (finish_reason content_filter).`, code: 'content_filter', deployment: id, provider: a.deployment.provider.type });
}
