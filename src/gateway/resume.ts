import { GatewayError, toGatewayError, type Spent } from '../core/errors.js';
import { estimateTokens } from '../core/estimate.js';
import { holdEnd, type EndHolding } from '../core/ready.js';
import { addUsage, type BilledAttempt, type ChatRequest, type Message, type StreamPart, type Usage } from '../core/types.js';

/** What a model that cannot be given a prefill is asked after its own partial answer. */
export const CONTINUE_INSTRUCTION = 'Continue exactly where you stopped, without repeating anything.';

/**
 * The request that continues an answer of which `sent` already reached the client: the text as a final
 * assistant message, which a deployment with `prefill` continues and any other is asked to continue by
 * an instruction. Trailing whitespace is left out (Anthropic refuses a prefill ending with it; the
 * continuation supplies it). The token limit shrinks by what was already written. A prefill is not
 * asked to reason: the upstreams that take one (Anthropic's) refuse it with reasoning on, and the
 * client already had the first attempt's reasoning.
 */
export function continuationRequest(request: ChatRequest, sent: string, prefill: boolean): ChatRequest {
  const prefix = sent.trimEnd();
  if (prefix === '') return request;
  const messages: Message[] = [...request.messages, { role: 'assistant', content: [{ type: 'text', text: prefix }] }];
  if (!prefill) messages.push({ role: 'user', content: [{ type: 'text', text: CONTINUE_INSTRUCTION }] });
  const out: ChatRequest = { ...request, messages };
  if (request.maxOutputTokens !== undefined) out.maxOutputTokens = Math.max(1, request.maxOutputTokens - estimateTokens(sent));
  if (prefill && request.reasoning !== undefined) out.reasoning = undefined;
  return out;
}

/** A continuation opened after a stream broke. */
export interface Continuation {
  /** The continuing attempt's relayed parts. */
  parts: AsyncIterator<StreamPart>;
  /** The deployment whose stream broke and the one that goes on. */
  from: string;
  to: string;
  /** What the broken attempt was billed, as recorded; `estimated` when counted by the gateway. */
  spent: BilledAttempt & { estimated: boolean };
  /** Who continues, to price its share of the usage. */
  continuing: Omit<BilledAttempt, 'usage'>;
  /** Attempts billed while opening the continuation that did not continue it (a timeout after the send). */
  failed?: readonly BilledAttempt[] | undefined;
}

/**
 * Opens the continuation of `sent` after `error`; when nothing can go on, the error the stream ends
 * with: `error`, its `spent` counting the attempts billed while trying (`notContinued`).
 */
export type Resume = (sent: string, error: GatewayError) => Promise<Continuation | GatewayError>;

/**
 * The break no continuation could be opened after, saying what the request was billed since the
 * answer began: the broken attempt and those `failed` while opening one (a timeout after the send).
 */
export function notContinued(error: GatewayError, spent: Continuation['spent'], failed: readonly BilledAttempt[] | undefined): GatewayError {
  if (failed === undefined) return error;
  const { estimated, ...broken } = spent;
  return error.withSpent({ usage: broken.usage, estimated, attempts: [broken, ...failed] });
}

/**
 * What an answer continued after a break was billed once the continuation used `usage`: the sum of
 * the two attempts that wrote it, and each attempt billed since it began, at its own deployment.
 */
function bothAttempts(c: Continuation, usage: Usage, estimated: boolean): Spent {
  const { estimated: brokenEstimated, ...broken } = c.spent;
  const continued = { ...c.continuing, usage };
  return { usage: addUsage(broken.usage, usage), estimated: brokenEstimated || estimated, attempts: c.failed ? [broken, ...c.failed, continued] : [broken, continued] };
}

/** The continuation's failure says what it was billed; the answer's cost is both attempts'. */
function billedBoth(error: GatewayError, c: Continuation): GatewayError {
  return error.spent === undefined ? error : error.withSpent(bothAttempts(c, error.spent.usage, error.spent.estimated));
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * A relayed stream that, when it breaks after text and before any tool call or finish, goes on once
 * from a continuation in the same answer: a `switchyard` provider-metadata part marks the resume, the
 * continuation's start and reasoning parts (redacted ones too) are dropped (the client has had them), leading whitespace
 * the client already has is not repeated, and its usage part reports both attempts.
 */
export function resumable(first: AsyncIterator<StreamPart>, resume: Resume): AsyncIterableIterator<StreamPart> {
  return new ResumingStream(first, resume);
}

class ResumingStream implements AsyncIterableIterator<StreamPart>, EndHolding {
  private sent = '';
  /** The consumer confirms the end (`holdEnd`): so does it of a continuation. */
  private holding = false;
  /** False once a tool call or the finish reached the client: such an answer is not continued. */
  private open = true;
  private resumed: Continuation | undefined;
  /** Trailing whitespace of what was sent, which the prefill left out: not to be sent twice. */
  private skip = '';
  private done = false;

  constructor(
    private current: AsyncIterator<StreamPart>,
    private readonly resume: Resume,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<StreamPart>> {
    if (this.done) return Promise.resolve(DONE);
    return this.current.next().then(this.onNext, this.onError);
  }

  holdEnd(): void {
    this.holding = true;
    holdEnd(this.current);
  }

  return(): Promise<IteratorResult<StreamPart>> {
    this.done = true;
    return this.current.return?.() ?? Promise.resolve(DONE);
  }

  /** The consumer failed on a part: the attempt in hand ends as an error, and its error says what the answer was billed. */
  throw(err: unknown): Promise<IteratorResult<StreamPart>> {
    this.done = true;
    const thrown = this.current.throw?.(err) ?? Promise.reject(err);
    const resumed = this.resumed;
    return resumed ? thrown.catch((e: unknown) => Promise.reject(billedBoth(toGatewayError(e), resumed))) : thrown;
  }

  private readonly onNext = (r: IteratorResult<StreamPart>): IteratorResult<StreamPart> | Promise<IteratorResult<StreamPart>> => {
    if (r.done) {
      this.done = true;
      return r;
    }
    const p = r.value;
    if (this.resumed) return this.continued(p, this.resumed) ?? this.next();
    if (p.type === 'text') this.sent += p.delta;
    else if (p.type === 'tool-call' || p.type === 'refusal' || p.type === 'finish') this.open = false;
    return r;
  };

  private readonly onError = async (err: unknown): Promise<IteratorResult<StreamPart>> => {
    const error = toGatewayError(err);
    const resumed = this.resumed;
    if (resumed) {
      this.done = true;
      throw billedBoth(error, resumed);
    }
    if (!this.open || error.kind === 'cancelled' || !error.fallbackable) {
      this.done = true;
      throw error;
    }
    this.open = false;
    const c = await this.resume(this.sent, error).catch(() => error);
    if (GatewayError.isInstance(c)) {
      this.done = true;
      throw c;
    }
    this.resumed = c;
    this.current = c.parts;
    if (this.holding) holdEnd(c.parts);
    this.skip = this.sent.slice(this.sent.trimEnd().length);
    this.sent = '';
    return { done: false, value: { type: 'provider-metadata', namespace: 'switchyard', data: { resumed: { from: c.from, to: c.to } } } };
  };

  /** A continuation part as the client gets it, or undefined to drop it. */
  private continued(p: StreamPart, c: Continuation): IteratorResult<StreamPart> | undefined {
    switch (p.type) {
      case 'start':
      case 'reasoning':
      case 'redacted-reasoning':
        return undefined;
      case 'text': {
        if (this.skip === '') return { done: false, value: p };
        let i = 0;
        while (i < p.delta.length && i < this.skip.length && p.delta[i] === this.skip[i]) i++;
        if (i === p.delta.length) {
          this.skip = this.skip.slice(i);
          return undefined;
        }
        this.skip = '';
        return { done: false, value: i === 0 ? p : { type: 'text', delta: p.delta.slice(i) } };
      }
      case 'usage': {
        const both = bothAttempts(c, p.usage, p.estimated === true);
        const value: StreamPart = { type: 'usage', usage: both.usage, attempts: both.attempts };
        if (both.estimated) value.estimated = true;
        return { done: false, value };
      }
      default:
        return { done: false, value: p };
    }
  }
}
