import { createHash } from 'node:crypto';
import type { AttemptObserver, AttemptRecord, AttemptTracing, Operation, RequestParams } from '../core/events.js';
import { errorMessage, stackFrames } from '../core/error-trace.js';
import { GatewayError, type Spent } from '../core/errors.js';
import { addUsage, makeUsage, type BilledAttempt, type ChatRequest, type FinishReason, type StreamPart, type Usage } from '../core/types.js';
import type { CancelSignal } from '../core/cancel.js';
import type { CallContext } from '../core/provider.js';
import type { Logger } from '../core/logger.js';
import type { Attempt } from '../routing/executor.js';
import type { ServedBy } from './api.js';

/** What an upstream's 404 most often means in a config: the path or the model it was given does not exist there. */
const NOT_FOUND_HINT = "the upstream has no such path or model: check the deployment's endpoint (an OpenAI-compatible one ends in /v1) and model";

/** How an attempt ended, as reported. */
export interface AttemptResult {
  outcome: AttemptRecord['outcome'];
  usage?: Usage;
  usageEstimated?: boolean;
  error?: GatewayError;
  ttftMs?: number;
  cacheHit?: boolean;
  answer?: AnswerFacts;
}

/** What an attempt's answer said of itself (a ChatResponse is one); only read when tracing is on. */
export interface AnswerFacts {
  id?: string;
  model?: string;
  finishReason?: FinishReason;
}

/** A streamed answer's facts: the start part's id and model (read before the first content) and its finish reason. */
export function streamedAnswer(head: readonly StreamPart[], finishReason: FinishReason | undefined): AnswerFacts {
  const start = head.find((p) => p.type === 'start');
  return { id: start?.id, model: start?.model, finishReason };
}

export interface RequestMeta {
  requestId: string;
  operation: Operation;
  group: string | undefined;
  tags: Readonly<Record<string, string>>;
  /** Set only when tracing is on (the spans are its only reader). */
  params?: RequestParams;
  /**
   * Attempts billed (usage reported) that did not give the answer, for the answer's cost
   * (`AttemptReporter.reportSpent`); undefined until one is, so most requests allocate nothing.
   */
  billed?: BilledAttempt[] | undefined;
  /** Some attempt on `billed` was billed the gateway's estimate (its error answer says so). */
  billedEstimated?: boolean;
  /** Milliseconds the request's attempts (no shadow copy, no cache hit) spent with their upstreams, as reported so far. */
  upstreamMs: number;
  /** A stream's answer, whose timing its attempt completes when it settles (`AttemptReporter.report`). */
  served: ServedBy | undefined;
}

/** The billed attempts `meta` holds, handed to whoever states the cost; the next ones start a new list. */
export function takeBilled(meta: RequestMeta): readonly BilledAttempt[] | undefined {
  const billed = meta.billed;
  if (billed) meta.billed = undefined;
  meta.billedEstimated = false;
  return billed;
}

/**
 * What a request that fails billed (the attempts on `meta.billed`), for its error answer's cost: the
 * same sum its ledger rows make. Undefined when nothing was billed.
 */
export function spentOnFailure(meta: RequestMeta): Spent | undefined {
  const estimated = meta.billedEstimated === true;
  const attempts = takeBilled(meta);
  if (!attempts || attempts.length === 0) return undefined;
  let usage = (attempts[0] as BilledAttempt).usage;
  for (let i = 1; i < attempts.length; i++) usage = addUsage(usage, (attempts[i] as BilledAttempt).usage);
  return { usage, estimated, attempts };
}

/**
 * Fans attempt records out to observers (an observer that throws is logged, never fatal) and logs
 * what an upstream said about a failed attempt.
 */
export class AttemptReporter {
  constructor(
    private readonly observers: readonly AttemptObserver[],
    private readonly logger: Logger,
    private readonly now: () => number,
    private readonly tracing?: AttemptTracing,
    /** `logging.upstream_error_text`: the upstream's words themselves in the log, not only their fingerprint. */
    private readonly logUpstreamText = false,
  ) {}

  /** True when attempt records feed spans (so callers build their `answer` facts). */
  get traced(): boolean {
    return this.tracing !== undefined;
  }

  /**
   * What a provider call for `attempt` carries: with tracing on, the `traceparent` of the attempt's
   * span and the client's `tracestate`; the attempt keeps the span for its record (it may end after
   * its request's span).
   */
  callContext(meta: RequestMeta, attempt: Attempt, signal: CancelSignal): CallContext {
    if (!this.tracing) return { signal, requestId: meta.requestId };
    const span = this.tracing.attemptSpan(meta.requestId);
    attempt.span = span;
    return { signal, requestId: meta.requestId, traceparent: span?.traceparent, tracestate: span?.tracestate };
  }

  /** Keeps the request's sampling scalars (not its content) for the attempt spans, when tracing is on. */
  describe(meta: RequestMeta, request: ChatRequest): void {
    if (this.tracing) meta.params = requestParams(request);
  }

  /**
   * A reply a decoder threw on (`unreadableReply`): the upstream's garbage, or a bug of ours on a reply
   * it should read; where it threw tells which. The frames only: an error's message may quote the reply.
   */
  private logUnreadable(meta: RequestMeta, attempt: Attempt, cause: unknown): void {
    // The frames of the real stack only: a line of the message shaped like one is the reply's text.
    const frames = cause instanceof Error ? (stackFrames(cause) ?? []).filter((line) => line.startsWith('    at ')).slice(0, 6).join('\n') : '';
    const d = attempt.deployment.config;
    this.logger.warn({ requestId: meta.requestId, deployment: d.id, provider: d.provider, attempt: attempt.number, thrown: cause instanceof Error ? cause.name : typeof cause, frames }, 'upstream reply the decoder could not read');
  }

  /**
   * Reports an attempt that did not give the answer (it failed, or its answer was refused) and, when
   * it was billed, keeps it on `meta.billed`: the answer's cost is every attempt the ledger bills for
   * the request, not only the one that answered. Shadow copies are not the request's: `report`.
   * Returns what it kept, if anything.
   */
  reportSpent(meta: RequestMeta, attempt: Attempt, result: AttemptResult): BilledAttempt | undefined {
    this.report(meta, attempt, result);
    const usage = result.usage;
    if (!usage) return undefined;
    const d = attempt.deployment.config;
    const spent: BilledAttempt = { deployment: d.id, provider: d.provider, model: d.model, region: d.region, usage };
    (meta.billed ??= []).push(spent);
    if (result.usageEstimated === true) meta.billedEstimated = true;
    return spent;
  }

  /** Reports an attempt; returns the milliseconds it spent with its upstream. */
  report(meta: RequestMeta, attempt: Attempt, result: AttemptResult): number {
    const d = attempt.deployment.config;
    const latencyMs = this.now() - attempt.startedAt;
    if (attempt.role !== 'shadow' && result.cacheHit !== true) spentUpstream(meta, latencyMs, result.ttftMs !== undefined);
    const error = result.error;
    const state = attempt.deployment.state;
    const quota = state.quota;
    // The quota counted the estimate when the attempt started; the real usage replaces it, and an
    // attempt whose request never left (unsent) takes its request and tokens back, and any cool-down
    // it started (it says nothing of the upstream's quota).
    if (quota && result.cacheHit !== true) {
      if (error?.unsent) state.unsent(attempt, this.now(), attempt.quotaTokens ?? 0);
      else {
        state.sent(attempt, this.now());
        if (result.usage) quota.correct(this.now(), result.usage.prompt + result.usage.completion - (attempt.quotaTokens ?? 0));
      }
    }
    // Clients only get our words for an upstream failure; operators get the upstream's, scrubbed, when
    // they ask for it (it can quote the prompt), else a fingerprint that tells equal texts apart.
    // An answer whose body was no error we could read (an HTML or plain-text 404) is logged too, without words.
    if (error !== undefined && (error.upstreamText !== undefined || error.upstreamStatus !== undefined)) {
      const text = error.upstreamText;
      const said = text === undefined ? undefined : this.logUpstreamText ? { upstream: text } : { upstreamChars: text.length, upstreamHash: createHash('sha256').update(text).digest('hex').slice(0, 12) };
      const hint = error.upstreamStatus === 404 ? { hint: NOT_FOUND_HINT } : undefined;
      this.logger.warn({ requestId: meta.requestId, deployment: d.id, provider: d.provider, attempt: attempt.number, kind: error.kind, status: error.upstreamStatus, ...said, ...hint }, 'upstream error');
    }
    if (error?.kind === 'bad_upstream_response' && error.cause !== undefined && !GatewayError.isInstance(error.cause)) this.logUnreadable(meta, attempt, error.cause);
    if (this.observers.length === 0) return latencyMs;
    const record: AttemptRecord = {
      requestId: meta.requestId,
      attempt: attempt.number,
      operation: meta.operation,
      role: attempt.role,
      group: meta.group,
      deployment: d.id,
      provider: d.provider,
      model: d.model,
      region: d.region,
      cause: attempt.cause,
      fallbackFrom: attempt.from,
      startedAt: attempt.startedAt,
      latencyMs,
      ttftMs: result.ttftMs,
      usage: result.usage,
      usageEstimated: result.usageEstimated ?? false,
      outcome: result.outcome,
      error: result.error,
      tags: meta.tags,
    };
    if (result.cacheHit === true) record.cacheHit = true;
    else if (quota) record.quotaHeadroom = quota.headroom(this.now());
    if (meta.params) record.params = meta.params;
    if (this.tracing && result.answer) record.response = { id: result.answer.id, model: result.answer.model, finishReason: result.answer.finishReason };
    if (attempt.span) record.span = attempt.span;
    for (const o of this.observers) {
      try {
        o.onAttempt(record);
      } catch (err) {
        this.logger.error({ err: errorMessage(err) }, 'attempt observer failed');
      }
    }
    return latencyMs;
  }
}

/**
 * Counts an attempt's time with its upstream as the request's; once a stream's answer is out
 * (`meta.served`), an attempt that streamed it (`streamed`: it had a first content part) is its time too.
 */
function spentUpstream(meta: RequestMeta, ms: number, streamed: boolean): void {
  meta.upstreamMs += ms;
  const served = meta.served;
  if (served === undefined) return;
  served.attemptsMs = meta.upstreamMs;
  if (streamed) served.upstreamMs = (served.upstreamMs ?? 0) + ms;
}

/**
 * What the spans say of a request: the three scalars always (undefined when absent), the others only
 * when the request has them, so a request without them builds nothing more.
 */
export function requestParams(request: ChatRequest): RequestParams {
  const params: RequestParams = { maxTokens: request.maxOutputTokens, temperature: request.temperature, topP: request.topP };
  if (request.topK !== undefined) params.topK = request.topK;
  if (request.seed !== undefined) params.seed = request.seed;
  if (request.presencePenalty !== undefined) params.presencePenalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) params.frequencyPenalty = request.frequencyPenalty;
  if (request.stopSequences !== undefined && request.stopSequences.length > 0) params.stopSequences = request.stopSequences;
  if (request.responseFormat !== undefined) params.outputType = request.responseFormat.type;
  return params;
}

/**
 * A failed attempt as reported: what a refusal cost when it was paid for; a cancelled one (the client
 * left while it ran), one the gateway gave up waiting for (a timeout with no answer from the
 * upstream), one whose 2xx answer the connection cut mid-body (a network error naming that status) or
 * whose 2xx answer the gateway could not read (a malformed body, a garbage stream) the prompt's
 * estimate, as a stream cancelled later is: the upstream had the request, ran it, and bills it. One
 * that failed before its request was written (`unsent`) cost nothing, like any unsent failure. A
 * stream whose upstream `reported` its usage before failing (Claude's message_start) is billed that,
 * however it failed (an in-stream error event too), as a stream broken after its first content is.
 */
export function failure(error: GatewayError, promptTokens: number, reported?: Usage): AttemptResult {
  const outcome = error.kind === 'cancelled' ? 'cancelled' : 'error';
  if (reported !== undefined && !error.unsent && error.paidUsage === undefined) return { outcome, error, usage: reported, usageEstimated: true };
  const hadRequest = !error.unsent && (error.kind === 'cancelled' || (error.kind === 'timeout' && error.upstreamStatus === undefined) || answerBroke(error) || unreadable(error));
  if (hadRequest) return { outcome, error, usage: makeUsage({ prompt: promptTokens }), usageEstimated: true };
  return { outcome, error, usage: error.paidUsage };
}

const is2xx = (status: number | undefined): boolean => status !== undefined && status >= 200 && status < 300;

/** The connection was lost while a 2xx answer came (`providers/http.ts` names the status it broke under). */
const answerBroke = (error: GatewayError): boolean => error.kind === 'network' && is2xx(error.upstreamStatus);

/**
 * A 2xx answer the gateway could not read and that did not say what it cost: a decoder's error names
 * no status (only 2xx bodies are decoded; an error answer is mapped by its status, a redirect names its
 * 3xx), the body reader's names the 2xx.
 */
const unreadable = (error: GatewayError): boolean => error.kind === 'bad_upstream_response' && error.paidUsage === undefined && (error.upstreamStatus === undefined || is2xx(error.upstreamStatus));
