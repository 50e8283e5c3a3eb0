import type { CancelSignal } from './cancel.js';
import type { ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, ModelInfo, StreamPart } from './types.js';

/** What every provider call receives: cancellation reaches the upstream socket through `signal`. */
export interface CallContext {
  signal: CancelSignal;
  requestId: string;
  /** W3C `traceparent` naming the attempt's span, sent upstream as is; absent when tracing is off. */
  traceparent?: string;
  /** The client's W3C `tracestate` (validated), sent only with `traceparent`; absent when there is none. */
  tracestate?: string;
}

/** A deployment's provider: one instance per configured deployment (provider + model + region + endpoint). */
export interface Provider {
  /** Provider type, e.g. `openai-compatible`, `bedrock`. */
  readonly type: string;
  /**
   * True when the upstream continues a final assistant message (a prefill) instead of answering after
   * it: Anthropic's Messages API, Claude on Vertex and Bedrock Converse (but not the Claude models that
   * refuse a prefill, Claude 4.6 on), vLLM's `continue_final_message`.
   */
  readonly prefill?: boolean;
  /**
   * False when the deployment never serves embeddings, as its config shows (a chat model, or an API with
   * none): the router skips it for an embeddings request, so a group's embedding deployment answers and
   * an earlier deployment's real failure is not reported as this refusal.
   */
  readonly embeds?: boolean;
  chat(request: ChatRequest, ctx: CallContext): Promise<ChatResponse>;
  /**
   * Opens a stream. The promise rejects on connection and HTTP status errors (before any content), so
   * a router can still fall back; errors after that surface from the iterator, never as a clean end.
   */
  stream(request: ChatRequest, ctx: CallContext): Promise<AsyncIterable<StreamPart>>;
  embed(request: EmbeddingRequest, ctx: CallContext): Promise<EmbeddingResponse>;
  /**
   * The request's input tokens as this upstream counts them, from the very body a chat call would send
   * (less what the counter refuses). Present only where the upstream's counter is free; the gateway
   * estimates for the others.
   */
  countTokens?(request: ChatRequest, ctx: CallContext): Promise<number>;
  listModels(ctx: CallContext): Promise<ModelInfo[]>;
  /** A cheap liveness probe of the upstream that, where the provider allows, is not billed. */
  probe(ctx: CallContext): Promise<void>;
  close(): Promise<void>;
}
