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
   * True when `part`, `end` and `error` return whole SSE frames (APIs whose events are named, as
   * Anthropic's `event: message_start`), which are then sent as they are instead of as `data:` lines.
   */
  readonly framesEvents?: boolean;
}

/** Told once when a stream has ended, however it ended: the access log is written then. */
export interface StreamListener {
  streamEnded(): void;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

const frame = (data: string): string => `data: ${data}\n\n`;
const asIs = (frames: string): string => frames;

/**
 * Server-sent events from a stream of parts: each `next()` reads parts until one makes a frame and
 * answers with it, one promise per part (a hand-written iterator, not an async generator). The last
 * value carries the closing frames; `return()` (the client went away) closes the parts, so the
 * upstream stops and the attempt settles.
 */
export class SseStream<P> implements BodyStream, AsyncIterator<string, undefined> {
  /** open → closing (last frames handed out) → closed (listener told). */
  private state: 'open' | 'closing' | 'closed' = 'open';
  private readonly onPart = (r: IteratorResult<P>): IteratorResult<string, undefined> | Promise<IteratorResult<string, undefined>> => {
    if (this.state !== 'open') return this.next();
    if (r.done) return this.last(this.encoder.end().map(this.frame).join(''));
    let data: string | undefined;
    try {
      data = this.encoder.part(r.value);
    } catch (err) {
      // A failure of our own while relaying is an error of the attempt, not a client disconnect.
      const failed = (): IteratorResult<string, undefined> => this.last(this.frame(this.encoder.error(err)));
      return this.parts.throw ? this.parts.throw(err).then(failed, failed) : failed();
    }
    return data === undefined ? this.next() : { done: false, value: this.frame(data) };
  };
  private readonly onError = (err: unknown): IteratorResult<string, undefined> => (this.state === 'open' ? this.last(this.frame(this.encoder.error(err))) : this.closed());
  /** Chosen once: `data:` framing, or the encoder's own frames. */
  private readonly frame: (text: string) => string;

  constructor(
    private readonly parts: AsyncIterator<P>,
    private readonly encoder: StreamEncoder<P>,
    private readonly listener: StreamListener,
  ) {
    this.frame = encoder.framesEvents === true ? asIs : frame;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<string, undefined>> {
    if (this.state !== 'open') return Promise.resolve(this.closed());
    return this.parts.next().then(this.onPart, this.onError);
  }

  /** The consumer stopped early: close the parts (stopping the upstream), then report the end. */
  async return(): Promise<IteratorResult<string, undefined>> {
    if (this.state === 'open') {
      this.state = 'closing';
      await this.parts.return?.();
    }
    return this.closed();
  }

  private last(text: string): IteratorResult<string, undefined> {
    this.state = 'closing';
    return { done: false, value: text };
  }

  private closed(): IteratorReturnResult<undefined> {
    if (this.state !== 'closed') {
      this.state = 'closed';
      this.listener.streamEnded();
    }
    return DONE;
  }
}
