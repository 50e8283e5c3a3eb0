import type { Agent } from 'undici';
import type { CallContext, Provider } from '../../core/provider.js';
import type { ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, ModelInfo, StreamPart } from '../../core/types.js';
import type { DeploymentConfig } from '../../config/schema.js';
import { bodyChunks, createAgent, readJson, sendUpstream, upstreamError, type UpstreamResponse } from '../http.js';
import { decodeSse } from '../sse.js';
import {
  decodeChatResponse,
  decodeChatStream,
  decodeEmbeddingResponse,
  encodeChatRequest,
  encodeEmbeddingRequest,
  mapOpenAIError,
} from '../dialects/openai-chat/index.js';
import type { OpenAICompatibleOptions } from './index.js';

const TYPE = 'openai-compatible';

export class OpenAICompatibleProvider implements Provider {
  readonly type = TYPE;
  private readonly agent: Agent;
  private readonly base: string;
  private readonly headers: Record<string, string>;

  constructor(
    private readonly deployment: DeploymentConfig,
    options: OpenAICompatibleOptions,
  ) {
    this.agent = createAgent({ connections: options.max_connections });
    this.base = options.endpoint.replace(/\/+$/, '');
    this.headers = { 'content-type': 'application/json', ...deployment.headers };
    if (deployment.api_key) this.headers.authorization = `Bearer ${deployment.api_key.reveal()}`;
  }

  private async post(path: string, body: unknown, ctx: CallContext): Promise<UpstreamResponse> {
    const res = await sendUpstream(
      this.agent,
      { url: new URL(this.base + path), headers: this.headers, body: JSON.stringify(body), signal: ctx.signal },
      TYPE,
    );
    if (res.status >= 400) throw await upstreamError(res, TYPE, ctx.signal, mapOpenAIError);
    return res;
  }

  async chat(request: ChatRequest, ctx: CallContext): Promise<ChatResponse> {
    const res = await this.post('/chat/completions', encodeChatRequest(request, this.deployment.model, false), ctx);
    return decodeChatResponse(await readJson(res, TYPE, ctx.signal), TYPE);
  }

  async stream(request: ChatRequest, ctx: CallContext): Promise<AsyncIterable<StreamPart>> {
    const res = await this.post('/chat/completions', encodeChatRequest(request, this.deployment.model, true), ctx);
    return decodeChatStream(decodeSse(bodyChunks(res, TYPE, ctx.signal)), TYPE);
  }

  async embed(request: EmbeddingRequest, ctx: CallContext): Promise<EmbeddingResponse> {
    const res = await this.post('/embeddings', encodeEmbeddingRequest(request, this.deployment.model), ctx);
    return decodeEmbeddingResponse(await readJson(res, TYPE, ctx.signal), TYPE);
  }

  async listModels(ctx: CallContext): Promise<ModelInfo[]> {
    const res = await sendUpstream(this.agent, { url: new URL(this.base + '/models'), method: 'GET', headers: this.headers, signal: ctx.signal }, TYPE);
    const body = await readJson(res, TYPE, ctx.signal);
    if (res.status >= 400) throw mapOpenAIError(res.status, res.headers, body, TYPE);
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
