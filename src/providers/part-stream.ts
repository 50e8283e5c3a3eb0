import { unreadableReply, type ReplySource } from '../core/errors.js';
import type { ReadyIterator } from '../core/ready.js';
import type { StreamPart } from '../core/types.js';

/** Turns a stream body's reads into parts, synchronously: one dialect's framing and decoding fused. */
export interface ReadDecoder {
  /** Appends the parts `chunk` completes to `out` (often none, often a dozen); throws on a bad frame. */
  push(chunk: Uint8Array, out: StreamPart[]): void;
  /** The body has ended: appends what its end completes; throws when the stream stopped short. */
  end(out: StreamPart[]): void;
  /**
   * True once the upstream's own end marker has been decoded (`[DONE]`, `message_stop`, Bedrock's
   * metadata after messageStop): the stream is whole, whatever the body does next.
   */
  readonly complete: boolean;
}

/** An upstream body (`UpstreamBody`) that can be let go of once its stream's end marker was read. */
interface ReleasableBody {
  release(): void;
}

const releasable = (body: object): body is ReleasableBody => typeof (body as Partial<ReleasableBody>).release === 'function';

/**
 * Parts decoded a whole upstream read at a time and handed out from a queue: one promise per read
 * instead of an async generator's per event and per part (a read carries a dozen of each). An error
 * found mid-read is raised after the parts before it, as an event-by-event decoder would. The stream
 * ends at the upstream's own end marker, not at its body's end: an upstream that holds its body open
 * after it must not hold the client. The body is then released (left to end on its own for a moment,
 * so its connection can be reused, and aborted otherwise).
 */
export class PartStream implements AsyncIterableIterator<StreamPart>, ReadyIterator<StreamPart> {
  private readonly queue: StreamPart[] = [];
  private at = 0;
  private failure: unknown;
  private ended = false;

  constructor(
    private readonly body: AsyncIterator<Uint8Array>,
    private readonly decoder: ReadDecoder,
    /** Names the upstream in the error for a reply the decoder could not read. */
    private readonly from: ReplySource,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<StreamPart>> {
    if (this.at < this.queue.length) return Promise.resolve({ done: false, value: this.queue[this.at++] as StreamPart });
    return this.refill();
  }

  /** The next part of the last read, if any is left; a failure found in that read waits for `next()`. */
  takeReady(): StreamPart | undefined {
    return this.at < this.queue.length ? this.queue[this.at++] : undefined;
  }

  async return(): Promise<IteratorResult<StreamPart>> {
    this.failure = undefined;
    if (!this.ended) {
      this.ended = true;
      this.queue.length = 0;
      this.at = 0;
      await this.body.return?.();
    }
    return { done: true, value: undefined };
  }

  /** The end marker arrived: nothing after it is read, and the body is let go of. */
  private release(): void {
    this.ended = true;
    const body = this.body;
    if (releasable(body)) body.release();
    else void body.return?.().catch(() => undefined);
  }

  private async refill(): Promise<IteratorResult<StreamPart>> {
    for (;;) {
      if (this.failure !== undefined) {
        const failure = this.failure;
        this.failure = undefined;
        this.ended = true;
        // As a for-await loop would on a throw: release the body (the exchange is aborted).
        await this.body.return?.().catch(() => undefined);
        throw failure;
      }
      if (this.ended) return { done: true, value: undefined };
      let read: IteratorResult<Uint8Array>;
      try {
        read = await this.body.next();
      } catch (err) {
        this.ended = true;
        throw err;
      }
      if (this.ended) return { done: true, value: undefined };
      this.queue.length = 0;
      this.at = 0;
      try {
        if (read.done) {
          this.ended = true;
          this.decoder.end(this.queue);
        } else {
          this.decoder.push(read.value, this.queue);
          if (this.decoder.complete) this.release();
        }
      } catch (err) {
        this.failure = unreadableReply(err, this.from);
      }
      if (this.queue.length > 0) return { done: false, value: this.queue[this.at++] as StreamPart };
    }
  }
}
