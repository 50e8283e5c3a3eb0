import { GatewayError } from '../../core/errors.js';
import type { FinishReason, Message, StreamPart } from '../../core/types.js';
import type { ServedBy } from '../../gateway/gateway.js';
import { exposesUpstream } from '../../http/respond.js';
import type { RouteContext } from '../../http/route.js';
import type { StreamEncoder, StreamListener } from '../../http/sse.js';
import { answerCost, brokenStreamCost, wantsExtensions } from '../extras.js';
import { streamTrailers } from '../gateway-headers.js';
import { openAIErrorBody } from '../openai-chat/errors.js';
import { AnswerParts, answerTurn } from './answer.js';
import { encodeResponsesUsage, type ReasoningShown, type ResponseFrame, type ResponseIds } from './encode.js';
import { ResponseEvents } from './events.js';
import { inDoorTerms } from './param-path.js';
import { sealReasoning } from './reasoning.js';
import type { Conversations } from './store/conversations.js';

/**
 * Where a stream is kept when it is to be kept, ended well (`previous_response_id` continues it) or
 * failed (read back as failed): its response was marked under way there (`Conversations.begin`) before
 * the stream began.
 */
export interface StreamStorage {
  conversations: Conversations;
  owner: string;
  /** The conversation before this response's answer. */
  messages: Message[];
  /** The residency the request was held to, which a continuation of it is held to as well. */
  residency: string | undefined;
  /** The request's input items (JSON), as its mark holds them. */
  inputItems: string;
}

const NOTHING: readonly string[] = Object.freeze([]);

/**
 * The route's listener, which also clears the response's mark in the store when the encoder kept
 * nothing (its client left): nothing will save it, and a mark left would answer a DELETE.
 */
export function storageListener(ctx: RouteContext, storage: StreamStorage, id: string, encoder: { readonly kept: boolean }): StreamListener {
  return {
    streamEnded(errorKind?: string): void {
      if (errorKind !== undefined && !encoder.kept) void storage.conversations.abandon(id, storage.owner);
      ctx.streamEnded(errorKind);
    },
    beforeEnd: () => ctx.beforeEnd(),
    internalError: (err: unknown) => ctx.internalError(err),
  };
}

/**
 * A Responses stream: canonical parts as typed events, `response.completed` (with usage and cost) at
 * the end, or an `error` event and `response.failed` when the stream breaks after its first byte. The cost
 * also travels as the `x-switchyard-cost-usd` trailer, as on the chat door. A stored response is kept
 * either way, as the API keeps a failed one (its `response.failed` response, the error as the client
 * read it); one whose client left is not.
 */
export class ResponsesStreamEncoder implements StreamEncoder<StreamPart> {
  readonly framed = true;
  private readonly events: ResponseEvents;
  private started = false;
  private finishReason: FinishReason | undefined;
  private usage: Record<string, unknown> | null = null;
  private cost: string | undefined;
  private readonly ids: ResponseIds;
  /** The answer's canonical parts, collected only when the response is to be stored. */
  private readonly answer: AnswerParts | undefined;
  /** Whether the usage was the gateway's count (the upstream reported none). */
  private estimated = false;
  /** Whether the response went to the store, completed or failed (`storageListener` clears the mark otherwise). */
  kept = false;
  /** The trailers (`streamTrailers`), read by the adapter once the stream has ended. */
  readonly trailers = (): Record<string, string> | undefined => streamTrailers(this.cost, this.estimated);

  constructor(
    private readonly ctx: RouteContext,
    private readonly servedBy: ServedBy,
    frame: ResponseFrame,
    ids: ResponseIds,
    private readonly storage: StreamStorage | undefined,
    /** What the client asked to see of reasoning (`include`, `reasoning.summary`). */
    private readonly shown: ReasoningShown,
    /** The request body and the stored messages before its input: a failure names its place in that body. */
    private readonly body: unknown,
    private readonly storedMessages: number,
  ) {
    this.events = new ResponseEvents(frame, ids, shown);
    this.ids = ids;
    this.answer = storage && new AnswerParts();
  }

  part(part: StreamPart): string | undefined {
    if (!this.started) {
      this.started = true;
      this.events.start();
    }
    this.answer?.add(part);
    switch (part.type) {
      case 'text':
        this.events.text(part.delta);
        break;
      case 'reasoning':
        if (part.delta !== '') this.events.reasoning(part.delta, part.provider);
        if (part.signature !== undefined) this.events.signature(part.signature, part.provider);
        break;
      case 'redacted-reasoning':
        // Nothing to show: an item with `summary: []`, its data sealed only for a client that asked for it.
        this.events.opaqueReasoning(this.shown.encrypted ? sealReasoning(part) : undefined);
        break;
      case 'tool-call':
        this.events.toolCall(part.index, part.id, part.name, part.argumentsDelta);
        break;
      case 'refusal':
        if (part.delta !== '') this.events.refusal(part.delta);
        break;
      case 'finish':
        this.finishReason = part.finishReason;
        break;
      case 'usage': {
        const cost = answerCost(this.ctx, this.servedBy, part.usage, { extras: wantsExtensions(this.ctx, this.servedBy), estimated: part.estimated, attempts: part.attempts });
        this.cost = cost.usd;
        this.estimated = part.estimated === true;
        this.usage = encodeResponsesUsage(part.usage, cost.extension);
        break;
      }
      default:
        break;
    }
    const frames = this.events.take();
    return frames === '' ? undefined : frames;
  }

  end(): readonly string[] {
    if (!this.started) this.events.start();
    const response = this.events.finish(this.finishReason, this.usage);
    if (this.storage && this.answer) {
      const { conversations, owner, messages, residency, inputItems } = this.storage;
      const stored = { messages: [...messages, answerTurn(this.answer.parts, this.answer.refusal)], residency, response: JSON.stringify(response), inputItems };
      void conversations.finish(this.ids.response, owner, stored);
      this.kept = true;
    }
    const frames = this.events.take();
    return frames === '' ? NOTHING : [frames];
  }

  error(thrown: unknown): string {
    // The trailers still say what the request was billed; the events stay as they were.
    const cost = brokenStreamCost(this.ctx, this.servedBy, thrown);
    if (cost !== undefined) {
      this.cost = cost.usd;
      this.estimated = cost.estimated;
    }
    const { deployment, provider } = this.servedBy;
    const err = inDoorTerms(thrown, this.body, this.storedMessages);
    const error = GatewayError.isInstance(err) ? err.blamedOn(deployment, provider) : new GatewayError({ kind: 'internal', message: 'Internal gateway error.' });
    const exposed = exposesUpstream(this.ctx.gateway.config, error.deployment);
    const body = openAIErrorBody(error, exposed).error;
    // The error event names what failed as OpenAI would, a server error where OpenAI has no code for it;
    // Response.error speaks the Responses API's codes: a throttle, else a server error.
    const failed = this.events.fail({ type: body.type, code: body.code ?? 'server_error', message: body.message, param: body.param }, { code: error.kind === 'rate_limited' ? 'rate_limit_exceeded' : 'server_error', message: body.message });
    // A client that left (its cancellation reached the upstream first) ends no response: kept as a client
    // that leaves between reads is, not at all.
    if (this.storage && error.kind !== 'cancelled') {
      const { conversations, owner, inputItems } = this.storage;
      // Kept for the store's whole retention and read back by any request of the key: the gateway's
      // words only, even where `expose_upstream_errors` showed this client the upstream's.
      const kept = exposed ? { ...failed, error: { code: (failed.error as { code: string }).code, message: openAIErrorBody(error, false).error.message } } : failed;
      void conversations.fail(this.ids.response, owner, { response: JSON.stringify(kept), inputItems });
      this.kept = true;
    }
    return this.events.take();
  }
}
