import { decodeReply } from '../../core/errors.js';
import type { Agent } from '../transport/agent.js';
import type { CallContext, Provider } from '../../core/provider.js';
import type { ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, ModelInfo, StreamPart } from '../../core/types.js';
import { embeddingInputCount } from '../../core/types.js';
import type { DeploymentConfig } from '../../config/schema.js';
import { createAgent, requestBuffered, sendUpstream, type UpstreamResponse } from '../http.js';
import { bufferedError, parseJsonBody, upstreamError, type UpstreamErrorMapper } from '../read-reply.js';
import { withTraceContext } from '../trace-context.js';
import type { Upstream } from '../upstream.js';
import { decodeSse } from '../sse.js';
import { tokenInputRefused } from '../dialects/embedding-texts.js';
import {
  decodeChatResponse,
  decodeChatStream,
  decodeEmbeddingResponse,
  encodeChatRequest,
  encodeEmbeddingRequest,
  mapOpenAIEmbeddingError,
  mapOpenAIError,
  maxTokensFieldFor,
  reasoningEffortsFor,
  samplingRuleFor,
  type ChatEncodeOptions,
} from '../dialects/openai-chat/index.js';
import type { OpenAICompatibleOptions } from './index.js';

const TYPE = 'openai-compatible';
/** OpenAI's API takes at most 4 stop sequences; the servers it is compatible with (vLLM, Ollama) set no limit. */
const OPENAI_HOST = 'api.openai.com';
const OPENAI_MAX_STOP_SEQUENCES = 4;
/**
 * Mistral's own API: it documents a message's content (and a stream delta's) as a string or a list of
 * typed chunks (text, thinking, reference), which the dialect reads there and nowhere else.
 */
const MISTRAL_HOST = 'api.mistral.ai';
/** What a deployment is whose upstream refused to embed with its model (the name need not say it chats). */
const NO_EMBEDDINGS = 'serves a model its upstream does not embed with';

export class OpenAICompatibleProvider implements Provider {
  readonly type = TYPE;
  /** Whose upstream its calls reach, as their errors name it. */
  private readonly upstream: Upstream;
  readonly prefill: boolean;
  private readonly agent: Agent;
  private readonly embeddingTokenInput: boolean;
  /** How requests are encoded, fixed per deployment: one object per stream mode, none per request. */
  private readonly encoding: { chat: ChatEncodeOptions; stream: ChatEncodeOptions };
  private readonly headers: Record<string, string>;
  private readonly urls: { chat: URL; embeddings: URL; models: URL };
  /** The upstream is Mistral's API, whose content may be a list of chunks (fixed per deployment). */
  private readonly contentChunks: boolean;

  constructor(
    private readonly deployment: DeploymentConfig,
    options: OpenAICompatibleOptions,
  ) {
    this.upstream = { provider: TYPE, deployment: deployment.id };
    this.prefill = options.prefill;
    this.embeddingTokenInput = options.embedding_token_input;
    const base = options.endpoint.replace(/\/+$/, '');
    const host = new URL(base).hostname;
    this.contentChunks = host === MISTRAL_HOST;
    const chat: ChatEncodeOptions = {
      model: deployment.model,
      provider: TYPE,
      stream: false,
      passthrough: deployment.passthrough,
      prefill: options.prefill,
      reasoningEfforts: reasoningEffortsFor(deployment.model, deployment.capabilities),
      maxTokensField: maxTokensFieldFor(deployment.model),
      samplingRule: samplingRuleFor(deployment.model),
      maxStopSequences: host === OPENAI_HOST ? OPENAI_MAX_STOP_SEQUENCES : undefined,
    };
    this.encoding = { chat, stream: { ...chat, stream: true } };
    this.agent = createAgent({ connections: options.max_connections, keepAliveTimeoutMs: options.keep_alive_timeout_ms, connectTimeoutMs: options.connect_timeout_ms });
    this.urls = { chat: new URL(`${base}/chat/completions`), embeddings: new URL(`${base}/embeddings`), models: new URL(`${base}/models`) };
    this.headers = { 'content-type': 'application/json', ...deployment.headers };
    if (deployment.api_key) this.headers.authorization = `Bearer ${deployment.api_key.reveal()}`;
  }

  /** A non-streaming call: the whole answer, or its error mapped into the taxonomy. */
  private async call(url: URL, body: unknown, ctx: CallContext, mapError: UpstreamErrorMapper = mapOpenAIError): Promise<unknown> {
    const res = await requestBuffered(this.agent, { url, headers: withTraceContext(this.headers, ctx), body: JSON.stringify(body), signal: ctx.signal }, this.upstream);
    if (res.status >= 400) throw bufferedError(res, this.upstream, mapError);
    return parseJsonBody(res, this.upstream);
  }

  async chat(request: ChatRequest, ctx: CallContext): Promise<ChatResponse> {
    const { body, warnings } = encodeChatRequest(request, this.encoding.chat);
    const json = await this.call(this.urls.chat, body, ctx);
    return decodeReply(this.upstream, () => decodeChatResponse(json, this.upstream, warnings, this.contentChunks));
  }

  async stream(request: ChatRequest, ctx: CallContext): Promise<AsyncIterable<StreamPart>> {
    const { body, warnings } = encodeChatRequest(request, this.encoding.stream);
    const res: UpstreamResponse = await sendUpstream(this.agent, { url: this.urls.chat, headers: withTraceContext(this.headers, ctx), body: JSON.stringify(body), signal: ctx.signal }, this.upstream);
    if (res.status >= 400) throw await upstreamError(res, this.upstream, ctx.signal, mapOpenAIError);
    return decodeChatStream(decodeSse(res.body), this.upstream, warnings, this.contentChunks);
  }

  async embed(request: EmbeddingRequest, ctx: CallContext): Promise<EmbeddingResponse> {
    // Sent anyway, the server's own 400 would not name `input` and would end the group's fallback.
    if (request.tokens !== undefined && !this.embeddingTokenInput) throw tokenInputRefused("This deployment's server");
    const body = encodeEmbeddingRequest(request, this.deployment.model, this.deployment.passthrough);
    const json = await this.call(this.urls.embeddings, body, ctx, mapOpenAIEmbeddingError(request, NO_EMBEDDINGS));
    return decodeReply(this.upstream, () => decodeEmbeddingResponse(json, this.upstream, embeddingInputCount(request)));
  }

  async listModels(ctx: CallContext): Promise<ModelInfo[]> {
    const res = await requestBuffered(this.agent, { url: this.urls.models, method: 'GET', headers: this.headers, signal: ctx.signal }, this.upstream);
    if (res.status >= 400) throw bufferedError(res, this.upstream, mapOpenAIError);
    const body = parseJsonBody(res, this.upstream);
    const data = (body as { data?: Array<{ id?: unknown; owned_by?: unknown }> }).data ?? [];
    return data.filter((m) => typeof m.id === 'string').map((m) => ({ id: m.id as string, ownedBy: typeof m.owned_by === 'string' ? m.owned_by : TYPE }));
  }

  /** Listing models is free on every OpenAI-compatible server. */
  async probe(ctx: CallContext): Promise<void> {
    await this.listModels(ctx);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
