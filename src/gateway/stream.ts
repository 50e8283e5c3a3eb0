import { GatewayError, toGatewayError } from '../core/errors.js';
import type { FinishReason, StreamPart, Usage } from '../core/types.js';
import { honestFinish, makeUsage } from '../core/types.js';
import { readyIterator, type EndHolding, type ReadyIterator } from '../core/ready.js';
import { reportedUsage } from './reported-usage.js';

/** A stream whose first content part has already arrived (so routing is settled). */
export interface OpenedStream {
  iterator: AsyncIterator<StreamPart>;
  /** Parts read while waiting for the first content part. */
  head: StreamPart[];
  ttftMs: number;
}

/** Reasoning (redacted too) and a refusal count as content: once they reach the client the answer is committed, with no fallback. */
const isContent = (p: StreamPart): boolean => p.type === 'text' || p.type === 'reasoning' || p.type === 'redacted-reasoning' || p.type === 'tool-call' || p.type === 'refusal' || p.type === 'finish';

/**
 * Reads parts until the first content part, so that a failure before any content can still fall
 * back. A stream that ends before any content is a failure, not an empty success. `head` is the
 * caller's, so it still sees what came before a failure (`reportedBeforeContent`).
 */
export async function openUntilContent(parts: AsyncIterable<StreamPart>, startedAt: number, now: () => number, provider: string, head: StreamPart[] = []): Promise<OpenedStream> {
  const iterator = parts[Symbol.asyncIterator]();
  for (;;) {
    const next = await iterator.next();
    if (next.done) {
      throw new GatewayError({ kind: 'network', message: `Upstream ${provider} stream ended before any content.`, provider });
    }
    head.push(next.value);
    if (isContent(next.value)) return { iterator, head, ttftMs: now() - startedAt };
  }
}

export interface StreamSettlement {
  outcome: 'ok' | 'error' | 'cancelled';
  usage: Usage;
  usageEstimated: boolean;
  error?: GatewayError;
  /** The upstream's finish reason, when the stream got that far. */
  finishReason: FinishReason | undefined;
}

/**
 * Relays an opened stream and settles it exactly once: on a clean end with the upstream's usage, once
 * the consumer took the end (`EndHolding`); on a break, a client disconnect or a consumer's failure
 * with whatever usage can be known: the prompt as the upstream counted it before the break, when it
 * did, and the completion counted from the text (or the upstream's count so far, if larger). A stream
 * without a finish part is a truncation and throws.
 */
export function relay(
  opened: OpenedStream,
  promptEstimate: number,
  abortUpstream: (reason: GatewayError) => void,
  settle: (s: StreamSettlement) => void,
  idleTimeoutMs = 0,
  maxMs = 0,
  blame: (error: GatewayError) => GatewayError = (error) => error,
): AsyncIterableIterator<StreamPart> & ReadyIterator<StreamPart> & EndHolding {
  return new Relay(opened, promptEstimate, abortUpstream, settle, idleTimeoutMs, maxMs, blame);
}

/**
 * Content an upstream sends after its finish (a stream out of order, a finish reason on a chunk before
 * the last): the client already has the finish, so the answer it has is not the upstream's. An empty
 * delta (some servers close with one) is no content.
 */
const afterFinish = (p: StreamPart): boolean => p.type === 'tool-call' || p.type === 'redacted-reasoning' || ((p.type === 'text' || p.type === 'reasoning' || p.type === 'refusal') && p.delta !== '');

/** The characters of generated output a part carries (the gateway's count when the upstream gives none). */
function generatedChars(p: StreamPart): number {
  if (p.type === 'text' || p.type === 'reasoning' || p.type === 'refusal') return p.delta.length;
  return p.type === 'tool-call' ? p.argumentsDelta.length + (p.name?.length ?? 0) : 0;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * The relay as a hand-written iterator rather than an async generator: each part costs one promise
 * instead of a generator's queue and resumption. Behaves like the generator it replaced: parts in
 * order, settled once, done for good after an error or an early return.
 */
class Relay implements AsyncIterableIterator<StreamPart>, ReadyIterator<StreamPart>, EndHolding {
  /** The usage billed: the upstream's final one, or once settled what the attempt was billed. */
  private usage: Usage | undefined;
  /**
   * A usage part the upstream sent before its finish (Gemini's counts so far), the last one: held back
   * and handed out once, after everything else, and final only once the stream ends well; on a break
   * it is what the upstream had counted so far.
   */
  private usagePart: Extract<StreamPart, { type: 'usage' }> | undefined;
  /** A usage part went to the client: it is the one billed, and any later one is dropped. */
  private usageSent = false;
  /** Content came after the finish: the stream fails at the next `next()`. */
  private misordered: GatewayError | undefined;
  private finishReason: FinishReason | undefined;
  /** A tool call came: a `tool_calls` finish is what it says. */
  private toolCalls = false;
  private completionChars = 0;
  private settled = false;
  /**
   * The upstream ended well, but the consumer has not taken the end yet (the last usage part, or with
   * `holdEnd` its closing frames): failing on it still makes the attempt an error.
   */
  private endPending = false;
  /** The consumer confirms the end (`holdEnd`): only its `return()` settles a clean end. */
  private holding = false;
  /** The usage billed is the gateway's count (the upstream sent none). */
  private usageEstimated = false;
  private started = false;
  private closed = false;
  private headAt = 0;
  /** When the upstream last gave a part; checked by one timeout, not a timer per part. */
  private lastPartAt = Date.now();
  /** When the relay began: `maxMs` counts from here. */
  private startedAt = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  /** The idle timeout or the length limit fired and aborted the upstream. */
  private stalled = false;
  private readonly upstream: ReadyIterator<StreamPart> | undefined;
  private readonly onNext = (next: IteratorResult<StreamPart>): IteratorResult<StreamPart> | Promise<IteratorResult<StreamPart>> => {
    this.lastPartAt = Date.now();
    if (this.closed) return DONE;
    if (next.done) {
      this.closed = true;
      if (this.finishReason === undefined) return this.fail(new GatewayError({ kind: 'network', message: 'The upstream stream ended without finishing.' }));
      return this.ended();
    }
    return this.account(next.value) ? next : this.next();
  };
  private readonly onError = (err: unknown): IteratorResult<StreamPart> => {
    // A read let go of when a whole answer was ended without it (`throw`): the end is the consumer's.
    if (this.endPending) return DONE;
    this.closed = true;
    // The finish and the usage are here, so the answer is whole: an upstream that then leaves its body
    // open without its end marker (an OpenAI-compatible server that never sends `[DONE]`) lost nothing.
    // The dialects end their streams at the markers they know (`PartStream`), so those never get here.
    if (this.stalled && this.finishReason !== undefined && (this.usage ?? this.usagePart) !== undefined) return this.ended();
    return this.fail(err);
  };

  constructor(
    private readonly opened: OpenedStream,
    private readonly promptEstimate: number,
    private readonly abortUpstream: (reason: GatewayError) => void,
    private readonly settle: (s: StreamSettlement) => void,
    private readonly idleTimeoutMs: number,
    /** The longest the stream may run (0: no limit). */
    private readonly maxMs: number,
    /** Names the attempt's deployment on its failure: the door must not guess it (a resumed stream has several). */
    private readonly blame: (error: GatewayError) => GatewayError,
  ) {
    this.upstream = readyIterator(opened.iterator);
  }

  /**
   * A stream that stalls after its first content, or runs past `maxMs`, is a failure (a timeout), not a
   * hang. One timeout, not one per part: when it fires early (parts arrived meanwhile) it is re-armed
   * for exactly the time left, so it fires on time without touching a timer per part.
   */
  private watchIdle(): void {
    if (this.idleTimer) return;
    const left = this.timeLeft(Date.now());
    if (left !== Infinity) this.armIdle(left);
  }

  /** Until the idle timeout or the length limit, whichever comes first. */
  private timeLeft(now: number): number {
    const idle = this.idleTimeoutMs > 0 ? this.lastPartAt + this.idleTimeoutMs - now : Infinity;
    return this.maxMs > 0 ? Math.min(idle, this.startedAt + this.maxMs - now) : idle;
  }

  private armIdle(ms: number): void {
    this.idleTimer = setTimeout(this.checkIdle, ms);
    this.idleTimer.unref();
  }

  private readonly checkIdle = (): void => {
    const now = Date.now();
    const left = this.timeLeft(now);
    if (left > 0) return this.armIdle(left);
    this.idleTimer = undefined;
    this.stalled = true;
    const tooLong = this.maxMs > 0 && now >= this.startedAt + this.maxMs;
    const message = tooLong ? `The upstream stream ran past the ${this.maxMs} ms limit (routing.stream_max_ms).` : `The upstream stream stalled for ${this.idleTimeoutMs} ms.`;
    this.abortUpstream(new GatewayError({ kind: 'timeout', message }));
  };

  private stopWatching(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<StreamPart>> {
    if (this.closed) {
      // Back for more after the last part: the consumer took it.
      if (this.endPending && !this.holding) this.settleOnce('ok');
      return Promise.resolve(DONE);
    }
    if (this.misordered) return this.stopAndFail(this.misordered);
    if (!this.started) {
      this.started = true;
      this.lastPartAt = this.startedAt = Date.now();
      this.watchIdle();
    }
    const head = this.opened.head;
    while (this.headAt < head.length) {
      const p = head[this.headAt++] as StreamPart;
      if (this.account(p)) return Promise.resolve({ done: false, value: p });
      if (this.misordered) return this.stopAndFail(this.misordered);
    }
    return this.opened.iterator.next().then(this.onNext, this.onError);
  }

  /**
   * A part already at hand (the opened head, or the rest of the upstream's last read), accounted as
   * `next()` would; only once `next()` has started the relay. Its arrival time is the last `next()`'s.
   */
  takeReady(): StreamPart | undefined {
    if (this.closed || !this.started || this.misordered) return undefined;
    const head = this.opened.head;
    for (;;) {
      const p = this.headAt < head.length ? head[this.headAt++] : this.upstream?.takeReady();
      if (p === undefined || this.account(p)) return p;
      if (this.misordered) return undefined;
    }
  }

  /** The consumer asks to confirm the end: `done` then waits for its `return()` (taken) or `throw()` (failed on it). */
  holdEnd(): void {
    this.holding = true;
  }

  /**
   * The consumer is done: after the end, it took the answer whole; before it, it stopped early (the
   * client went away): stop the upstream and bill what we saw.
   */
  return(): Promise<IteratorResult<StreamPart>> {
    const wasOpen = !this.closed;
    this.closed = true;
    if (this.endPending) this.settleOnce('ok');
    // Also when never started: the upstream is open and the request holds a reservation.
    else if (wasOpen && !this.settled) {
      this.abortUpstream(new GatewayError({ kind: 'cancelled', message: 'The client disconnected.' }));
      void this.opened.iterator.return?.();
      this.settleOnce('cancelled', new GatewayError({ kind: 'cancelled', message: 'The client disconnected.' }));
    }
    return Promise.resolve(DONE);
  }

  /**
   * The consumer failed on a part (a door that could not encode it): the attempt ends as an error,
   * billed what was seen, and the error thrown back says so; also on the end not yet taken (the last
   * usage part, the closing frames): the client gets an error, so the attempt is not recorded as ok,
   * and it is billed what the upstream spent. Once settled, it says what was settled. A `cancelled` error
   * is the consumer stopping (a server shutting down), settled with it as `return()` is, but for a whole answer.
   */
  throw(err: unknown): Promise<IteratorResult<StreamPart>> {
    const stops = GatewayError.isInstance(err) && err.kind === 'cancelled';
    if (this.endPending && !this.settled) {
      if (stops) return Promise.resolve(DONE);
      try {
        return this.fail(err);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    if (this.settled && this.usage !== undefined) {
      this.closed = true;
      return Promise.reject(toGatewayError(err).withSpent({ usage: this.usage, estimated: this.usageEstimated }));
    }
    if (this.closed || (!this.started && !stops)) {
      this.closed = true;
      return Promise.reject(err);
    }
    if (stops && this.finishReason !== undefined && this.usageSent) {
      // A whole answer (finish and usage handed out) lost nothing: its end is handed out, as `ended()` does.
      this.closed = this.endPending = true;
      this.stopWatching();
      void this.opened.iterator.return?.();
      return Promise.resolve(DONE);
    }
    // The upstream is still answering: it is stopped, or it would go on generating (and billing) tokens nobody reads.
    return this.stopAndFail(toGatewayError(err));
  }

  /**
   * Counts a part; false for one the client must not get now. An upstream that repeats its end marker
   * (a second finish) or sends usage twice, or before its finish, would otherwise give the client two
   * finish chunks or two usage chunks (a client adding them up counts the tokens twice) or a usage chunk
   * that is not the last: the first finish stands; the first usage after it goes out at once (the usual
   * order, so the closing frames leave in the same read) and is the one the ledger bills, later ones are
   * dropped; a usage before the finish is held and handed out at the end, unless one follows the finish.
   */
  private account(p: StreamPart): boolean {
    if (this.finishReason !== undefined && afterFinish(p)) {
      this.misordered ??= new GatewayError({ kind: 'bad_upstream_response', message: 'The upstream sent content after finishing its answer.' });
      return false;
    }
    this.completionChars += generatedChars(p);
    if (p.type === 'tool-call') this.toolCalls = true;
    else if (p.type === 'usage') {
      if (this.usageSent) return false;
      if (this.finishReason === undefined) {
        this.usagePart = p;
        return false;
      }
      this.usage = p.usage;
      this.usagePart = undefined;
      this.usageSent = true;
    } else if (p.type === 'finish') {
      if (this.finishReason !== undefined) return false;
      const finish = honestFinish(p.finishReason, this.toolCalls);
      // Rewritten in place only when it changes (rarely): the part keeps its shape, and whoever holds it sees the finish the client got.
      if (finish !== p.finishReason) p.finishReason = finish;
      this.finishReason = finish;
    }
    return true;
  }

  /**
   * Stops the upstream and fails the stream: its answer said it was finished, then went on, or the
   * consumer could not take a part (a front door that could not encode it).
   */
  private stopAndFail(error: GatewayError): Promise<IteratorResult<StreamPart>> {
    this.closed = true;
    this.abortUpstream(error);
    void this.opened.iterator.return?.();
    try {
      return this.fail(error);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * The upstream ended well: its usage is fixed (the gateway's count when it sent none), and what is
   * left to hand out goes (that estimate, marked as such, for the client that asked for usage; or a
   * usage held back). The attempt settles as ok once the consumer took it, not before: a door that
   * fails on it sends the client an error, and the ledger must say so.
   */
  private ended(): IteratorResult<StreamPart> {
    this.stopWatching();
    // A usage sent before the finish, and none after it: the upstream's last word, now that it ended well.
    this.usage ??= this.usagePart?.usage;
    const estimate = this.usage === undefined;
    const usage = this.spent();
    const value = estimate ? ({ type: 'usage', usage, estimated: true } as const) : this.usagePart;
    this.usagePart = undefined;
    if (value === undefined && !this.holding) {
      this.settleOnce('ok');
      return DONE;
    }
    this.endPending = true;
    return value === undefined ? DONE : { done: false, value };
  }

  /** What the attempt spent, fixed once: the upstream's usage (or the one a failure says it paid), else the gateway's count. */
  private spent(paid?: Usage): Usage {
    if (this.usage === undefined) {
      this.usageEstimated = paid === undefined;
      this.usage = paid ?? this.counted();
    }
    return this.usage;
  }

  /** The gateway's count of an attempt without the upstream's final usage: what it reported before the break (`reportedUsage`), else the estimate. */
  private counted(): Usage {
    // Parts read while the stream opened but never handed out (the client left first) were generated, so billed, too.
    let chars = this.completionChars;
    for (let i = this.headAt; i < this.opened.head.length; i++) chars += generatedChars(this.opened.head[i] as StreamPart);
    const completion = Math.ceil(chars / 4);
    return reportedUsage(this.usagePart?.usage, this.opened.head, completion) ?? makeUsage({ prompt: this.promptEstimate, completion });
  }

  /**
   * Settles and throws the failure, saying what the attempt was billed: no usage part follows, and the
   * door still owes the client the cost of the row the ledger writes.
   */
  private fail(err: unknown): never {
    const error = this.blame(toGatewayError(err));
    this.settleOnce(error.kind === 'cancelled' ? 'cancelled' : 'error', error);
    const usage = this.usage;
    throw usage === undefined ? error : error.withSpent({ usage, estimated: this.usageEstimated });
  }

  private settleOnce(outcome: StreamSettlement['outcome'], error?: GatewayError): void {
    if (this.settled) return;
    this.settled = true;
    this.stopWatching();
    // A failure the upstream billed (a malformed answer whose usage came after it) says what it cost.
    const usage = this.spent(error?.paidUsage);
    this.settle({ outcome, usage, usageEstimated: this.usageEstimated, error, finishReason: this.finishReason });
  }
}
