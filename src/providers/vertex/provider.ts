import type { Agent } from 'undici';
import type { CallContext, Provider } from '../../core/provider.js';
import type { ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, ModelInfo, StreamPart } from '../../core/types.js';
import { makeUsage } from '../../core/types.js';
import { GatewayError } from '../../core/errors.js';
import type { DeploymentConfig } from '../../config/schema.js';
import { bodyChunks, createAgent, readJson, sendUpstream, upstreamError, type UpstreamResponse } from '../http.js';
import { decodeSse } from '../sse.js';
import { decodePredictEmbeddingResponse, encodePredictEmbeddingRequest } from '../dialects/gemini/index.js';
import type { VertexOptions } from './options.js';
import { googleTokenSource, type TokenSource } from './auth.js';
import { vertexModelUrl, type VertexTarget } from './urls.js';
import type { PublisherWire } from './publisher.js';
import { geminiWire } from './gemini.js';
import { claudeWire } from './claude.js';

const TYPE = 'vertex';

/** gemini-embedding-001 takes one instance per :predict call; the text-embedding models up to 250. */
function defaultBatchSize(model: string): number {
  return model.startsWith('gemini-embedding') ? 1 : 250;
}

/** One Vertex AI deployment: a Gemini or Claude model (or an embedding model) in one project and location. */
export class VertexProvider implements Provider {
  readonly type = TYPE;
  private readonly agent: Agent;
  private readonly target: VertexTarget;
  private readonly wire: PublisherWire;
  private readonly tokens: TokenSource;
  private readonly headers: Record<string, string>;

  constructor(
    private readonly deployment: DeploymentConfig,
    private readonly options: VertexOptions,
    tokens?: TokenSource,
  ) {
    this.agent = createAgent({ connections: options.max_connections, keepAliveTimeoutMs: options.keep_alive_timeout_ms, connectTimeoutMs: options.connect_timeout_ms });
    this.target = { project: options.project, location: options.location, publisher: options.publisher, model: deployment.model, endpoint: deployment.endpoint };
    this.wire = options.publisher === 'anthropic' ? claudeWire(TYPE, deployment.model, options.default_max_tokens, deployment.passthrough) : geminiWire(TYPE);
    this.tokens = tokens ?? googleTokenSource({ credentials: options.credentials_file, selfSignedJwt: options.self_signed_jwt }, TYPE);
    this.headers = { 'content-type': 'application/json', ...deployment.headers };
  }

  private async post(method: string, body: unknown, ctx: CallContext, model?: string): Promise<UpstreamResponse> {
    const url = vertexModelUrl(model === undefined ? this.target : { ...this.target, model }, method);
    const headers = { ...this.headers, ...(await this.tokens.headers()) };
    const res = await sendUpstream(this.agent, { url, headers, body: JSON.stringify(body), signal: ctx.signal }, TYPE);
    if (res.status >= 400) throw await upstreamError(res, TYPE, ctx.signal, (status, headers, body) => this.wire.mapError(status, headers, body));
    return res;
  }

  async chat(request: ChatRequest, ctx: CallContext): Promise<ChatResponse> {
    const res = await this.post(this.wire.chatMethod(false), this.wire.encodeChat(request, false), ctx);
    const response = this.wire.decodeChat(await readJson(res, TYPE, ctx.signal));
    return response.model === '' ? { ...response, model: this.deployment.model } : response;
  }

  async stream(request: ChatRequest, ctx: CallContext): Promise<AsyncIterable<StreamPart>> {
    const res = await this.post(this.wire.chatMethod(true), this.wire.encodeChat(request, true), ctx);
    return this.wire.decodeStream(decodeSse(bodyChunks(res, TYPE, ctx.signal)));
  }

  /** Text embeddings through :predict, in batches the model accepts, one call after another. */
  async embed(request: EmbeddingRequest, ctx: CallContext): Promise<EmbeddingResponse> {
    if (this.options.publisher !== 'google') {
      throw new GatewayError({ kind: 'invalid_request', message: 'Embeddings are served by Google publisher models on Vertex (text-embedding-*, gemini-embedding-001).', provider: TYPE });
    }
    const texts = typeof request.input === 'string' ? [request.input] : request.input;
    const size = this.options.embedding_batch_size ?? defaultBatchSize(this.deployment.model);
    const embeddings: number[][] = [];
    let tokens = 0;
    for (let i = 0; i < texts.length; i += size) {
      const body = encodePredictEmbeddingRequest(texts.slice(i, i + size), { dimensions: request.dimensions, taskType: this.options.embedding_task_type });
      const res = await this.post('predict', body, ctx);
      const part = decodePredictEmbeddingResponse(await readJson(res, TYPE, ctx.signal), this.deployment.model, TYPE);
      embeddings.push(...part.embeddings);
      tokens += part.usage.prompt;
    }
    return { model: this.deployment.model, embeddings, usage: makeUsage({ prompt: tokens, total: tokens }) };
  }

  /** Vertex lists publisher models only in v1beta1; a deployment serves exactly its configured model. */
  async listModels(): Promise<ModelInfo[]> {
    return [{ id: this.deployment.model, ownedBy: this.options.publisher }];
  }

  /** A token-count call: free, and it proves credentials, project, location and model access. */
  async probe(ctx: CallContext): Promise<void> {
    const { method, body, publisherModel } = this.wire.probe();
    const res = await this.post(method, body, ctx, publisherModel);
    await readJson(res, TYPE, ctx.signal);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
