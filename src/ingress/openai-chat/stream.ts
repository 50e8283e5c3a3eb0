import { GatewayError } from '../../core/errors.js';
import type { ServedBy } from '../../gateway/gateway.js';
import type { StreamPart, Usage } from '../../core/types.js';
import type { RouteContext } from '../../http/route.js';
import { exposesUpstream } from '../../http/respond.js';
import type { StreamEncoder } from '../../http/sse.js';
import { answerCost, brokenStreamCost, wantsExtensions } from '../extras.js';
import { streamTrailers } from '../gateway-headers.js';
import { openAIErrorBody } from './errors.js';
import { ChunkEncoder } from './encode-response.js';

const DONE_FRAMES: readonly string[] = Object.freeze(['[DONE]']);

/**
 * A chat completion stream in OpenAI's words: chat.completion.chunk frames, the usage chunk when asked
 * for, `[DONE]`, or an error event (and no `[DONE]`) when it breaks after the first byte. The cost is
 * only known at the end: it travels as an HTTP trailer and in the usage chunk.
 */
export class ChatStreamEncoder implements StreamEncoder<StreamPart> {
  private readonly chunks: ChunkEncoder;
  /** Provider-specific stream data for clients that opted in, carried by the last chunk. */
  private readonly tail: ExtensionTail | undefined;
  private cost: string | undefined;
  /** Whether the usage was the gateway's count (the upstream reported none). */
  private estimated = false;
  /** The trailers (`streamTrailers`), read by the adapter once the stream has ended. */
  readonly trailers = (): Record<string, string> | undefined => streamTrailers(this.cost, this.estimated);

  constructor(
    private readonly ctx: RouteContext,
    private readonly servedBy: ServedBy,
    model: string,
    private readonly includeUsage: boolean,
  ) {
    this.chunks = new ChunkEncoder(`chatcmpl-${ctx.requestId}`, model, Math.floor(Date.now() / 1000), includeUsage);
    this.tail = wantsExtensions(ctx, servedBy) ? new ExtensionTail() : undefined;
  }

  part(part: StreamPart): string | undefined {
    if (part.type === 'usage') {
      const cost = answerCost(this.ctx, this.servedBy, part.usage, { extras: this.tail !== undefined, estimated: part.estimated, attempts: part.attempts });
      this.cost = cost.usd;
      this.estimated = part.estimated === true;
      if (!this.includeUsage) return undefined;
      if (this.tail) {
        this.tail.usage = { usage: part.usage, cost: cost.extension };
        return undefined;
      }
      // Without extensions the cost is in the trailer only.
      return this.chunks.usage(part.usage);
    }
    if (this.tail?.take(part)) return undefined;
    return this.chunks.encode(part);
  }

  end(): readonly string[] {
    return this.tail ? [...this.tail.flush(this.chunks), '[DONE]'] : DONE_FRAMES;
  }

  error(err: unknown): string {
    // The trailers still say what the request was billed; the frames stay as they were.
    const cost = brokenStreamCost(this.ctx, this.servedBy, err);
    if (cost !== undefined) {
      this.cost = cost.usd;
      this.estimated = cost.estimated;
    }
    // After the first byte there is no fallback left: say so explicitly and never send [DONE].
    const { deployment, provider } = this.servedBy;
    const error = GatewayError.isInstance(err) ? err.blamedOn(deployment, provider) : new GatewayError({ kind: 'internal', message: 'Internal gateway error.' });
    return JSON.stringify(openAIErrorBody(error, exposesUpstream(this.ctx.gateway.config, error.deployment)));
  }
}

/** Holds the finish and usage chunks of a stream with extensions, so the last chunk can carry them. */
class ExtensionTail {
  private extensions: Record<string, Record<string, unknown>> | undefined;
  private finishPart: Extract<StreamPart, { type: 'finish' }> | undefined;
  usage: { usage: Usage; cost: Record<string, unknown> | undefined } | undefined;

  /** Keeps provider metadata and finish parts; false for parts to encode now. */
  take(part: StreamPart): boolean {
    if (part.type === 'provider-metadata') {
      this.extensions ??= {};
      this.extensions[part.namespace] = { ...this.extensions[part.namespace], ...part.data };
      return true;
    }
    if (part.type === 'finish') {
      this.finishPart = part;
      return true;
    }
    return false;
  }

  /** The held-back chunks: the finish, then the usage carrying the extensions (or the finish does). */
  flush(encoder: ChunkEncoder): string[] {
    const last = this.usage;
    const out: string[] = [];
    const finish = this.finishPart;
    if (finish) out.push(encoder.finish(finish.finishReason, last ? undefined : this.extensions));
    if (last) out.push(encoder.usage(last.usage, last.cost, this.extensions));
    return out;
  }
}
