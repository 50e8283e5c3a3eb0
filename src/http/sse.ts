import { GatewayError, toGatewayError } from '../core/errors.js';
import { holdEnd, readyIterator, type ReadyIterator } from '../core/ready.js';
import type { BodyStream } from './exchange.js';

/** How one API words a stream: the data of each frame, the frames that end it, the error event. */
export interface StreamEncoder<P> {
  /** The data of the frame for one part, or undefined when the part makes none (yet). */
  part(part: P): string | undefined;
  /** The data of the frames that end a stream that went well (held-back frames, `[DONE]`). */
  end(): readonly string[];
  /** The data of the event that ends a stream which failed after its first byte. */
  error(err: unknown): string;
  /**
   * True when the encoder writes whole frames itself (named events: `event: <type>` lines, several
   * frames for one part); otherwise each string is one frame's data.
   */
  readonly framed?: boolean;
}

/** Told once when a stream has ended, however it ended: the access log is written then. */
export interface StreamListener {
  /** `errorKind`: how a stream that did not end well ended (`network`, `timeout`, `cancelled`...); undefined when it did. */
  streamEnded(errorKind?: string): void;
  /** What the closing frames wait for (the usage the stream recorded reaching the journal); undefined: nothing. */
  beforeEnd?(): Promise<void> | undefined;
  /** Told of a failure of the gateway's own (an `internal` error) that ended the stream: its cause is for the log, never the client. */
  internalError?(err: unknown): void;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });
/** Parts that, stopped (`interrupt`), hand out their end: their answer was whole. */
const END_HANDED_OUT = Symbol('end handed out');

const dataFrame = (data: string): string => `data: ${data}\n\n`;
const asIs = (frames: string): string => frames;

/**
 * Server-sent events from a stream of parts: each `next()` reads parts until one makes a frame and
 * answers with the frames of it and of every part already at hand (`ReadyIterator`): one promise per
 * upstream read rather than per part (a hand-written iterator, not an async generator). The last
 * value carries the closing frames; `return()` (the client went away) closes the parts, so the
 * upstream stops and the attempt settles. The parts hold their end (`holdEnd`) until the closing frames
 * are encoded: a door that fails on them ends the stream with its error event, and the attempt as an error.
 */
export class SseStream<P> implements BodyStream, AsyncIterator<string, undefined> {
  /** open → closing (last frames handed out) → closed (listener told). */
  private state: 'open' | 'closing' | 'closed' = 'open';
  /** Why the stream ended badly (an error kind), told to the listener; undefined while all is well. */
  private failure: string | undefined = undefined;
  /**
   * `interrupt` is writing the error event: the read it cut short ends quietly, and the listener is told
   * at `return()`, once the event is encoded (a stored response is kept failed, not dropped as abandoned).
   */
  private interrupting = false;
  private readonly frame: (data: string) => string;
  private readonly ready: ReadyIterator<P> | undefined;
  private readonly onPart = (r: IteratorResult<P>): IteratorResult<string, undefined> | Promise<IteratorResult<string, undefined>> => {
    if (this.state !== 'open') return this.next();
    if (r.done) return this.end();
    let text = '';
    let part: P | undefined = r.value;
    try {
      // The parts already at hand (the rest of the same upstream read) join this value: no promise each.
      while (part !== undefined) {
        const data = this.encoder.part(part);
        if (data !== undefined) text += this.frame(data);
        part = this.ready?.takeReady();
      }
    } catch (err) {
      return this.encodingFailed(err, text);
    }
    return text === '' ? this.next() : { done: false, value: text };
  };
  private readonly onError = (err: unknown): IteratorResult<string, undefined> | Promise<IteratorResult<string, undefined>> => {
    if (this.state !== 'open') return this.interrupting ? DONE : this.closed();
    this.noteFailure(err);
    return this.closing(this.last(this.frame(this.encoder.error(err))));
  };

  constructor(
    private readonly parts: AsyncIterator<P>,
    private readonly encoder: StreamEncoder<P>,
    private readonly listener: StreamListener,
  ) {
    this.frame = encoder.framed === true ? asIs : dataFrame;
    this.ready = readyIterator(parts);
    holdEnd(parts);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The parts have ended (or failed): what is left is the closing frames, once `beforeEnd` allows. */
  get ending(): boolean {
    return this.state !== 'open';
  }

  next(): Promise<IteratorResult<string, undefined>> {
    if (this.state !== 'open') return Promise.resolve(this.interrupting ? DONE : this.closed());
    return this.parts.next().then(this.onPart, this.onError);
  }

  /** The consumer stopped early: close the parts (stopping the upstream), then report the end. */
  async return(): Promise<IteratorResult<string, undefined>> {
    this.interrupting = false;
    if (this.state === 'open') {
      // The client went away mid-answer (after the closing frames, the answer was whole).
      this.failure = 'cancelled';
      this.state = 'closing';
      await this.parts.return?.();
    }
    return this.closed();
  }

  /**
   * The runtime ends the stream now (`BodyStream.interrupt`): `reason` is thrown into the parts, which
   * stop the upstream and settle the attempt with it, billed what it used; the error event then says
   * `error` and what that was (`GatewayError.spent`, from the settled parts), as after an upstream
   * break. Parts whose answer was whole already hand out their end instead, and the stream ends with its
   * closing frames: no error event after a complete answer. Either waits for `beforeEnd`.
   */
  interrupt(error: GatewayError, reason: GatewayError): Promise<string> | undefined {
    if (this.state !== 'open') return undefined;
    this.state = 'closing';
    this.interrupting = true;
    return this.interrupted(error, reason);
  }

  private async interrupted(error: GatewayError, reason: GatewayError): Promise<string> {
    const parts = this.parts;
    let thrown: unknown = reason;
    if (parts.throw) thrown = await parts.throw(reason).then(() => END_HANDED_OUT, (e: unknown) => e);
    else await parts.return?.();
    // Taken or failed on as at the parts' own end.
    if (thrown === END_HANDED_OUT) return (await this.end()).value ?? '';
    // Wrappers that hold the end for a confirmation (a reload's generation) let go of it now.
    await parts.return?.();
    this.failure = error.kind;
    const spent = GatewayError.isInstance(thrown) ? thrown.spent : undefined;
    const frames = this.frame(this.encoder.error(spent === undefined ? error : error.withSpent(spent)));
    await this.listener.beforeEnd?.();
    return frames;
  }

  /** The parts ended well: the closing frames, and only once they are encoded is the end the parts held taken. */
  private end(): IteratorResult<string, undefined> | Promise<IteratorResult<string, undefined>> {
    let frames: string;
    try {
      frames = this.encoder.end().map(this.frame).join('');
    } catch (err) {
      return this.encodingFailed(err, '');
    }
    void this.parts.return?.();
    return this.closing(this.last(frames));
  }

  /**
   * A failure of our own while relaying (a part or the closing frames it could not encode) is an error of
   * the attempt, not a client disconnect: the parts settle it, and what they throw back says what the
   * attempt was billed (`GatewayError.spent`), so the error event and the cost trailer are those of an
   * upstream break. `text`: the frames of the parts encoded before it.
   */
  private encodingFailed(err: unknown, text: string): IteratorResult<string, undefined> | Promise<IteratorResult<string, undefined>> {
    this.noteFailure(err);
    const failed = (thrown: unknown): IteratorResult<string, undefined> | Promise<IteratorResult<string, undefined>> => this.closing(this.last(text + this.frame(this.encoder.error(thrown))));
    return this.parts.throw ? this.parts.throw(err).then(() => failed(err), failed) : failed(err);
  }

  /** Notes how the stream failed; one of the gateway's own is told with its cause, as the handler logs it for an answer. */
  private noteFailure(err: unknown): void {
    this.failure = toGatewayError(err).kind;
    if (this.failure === 'internal') this.listener.internalError?.(err);
  }

  /** The closing frames, once the listener's `beforeEnd` allows (the stream's usage is journaled). */
  private closing(result: IteratorResult<string, undefined>): IteratorResult<string, undefined> | Promise<IteratorResult<string, undefined>> {
    const durable = this.listener.beforeEnd?.();
    return durable ? durable.then(() => result) : result;
  }

  private last(text: string): IteratorResult<string, undefined> {
    this.state = 'closing';
    return { done: false, value: text };
  }

  private closed(): IteratorReturnResult<undefined> {
    if (this.state !== 'closed') {
      this.state = 'closed';
      this.listener.streamEnded(this.failure);
    }
    return DONE;
  }
}
