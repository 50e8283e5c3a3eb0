import type { Agent } from '../transport/agent.js';
import { abortedBeforeSending, raceAbort } from '../../core/abort.js';
import type { CancelSignal } from '../../core/cancel.js';
import type { CallContext, Provider } from '../../core/provider.js';
import type { ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, ModelInfo, StreamPart } from '../../core/types.js';
import { makeUsage } from '../../core/types.js';
import { decodeReply, GatewayError } from '../../core/errors.js';
import type { DeploymentConfig } from '../../config/schema.js';
import { createAgent, requestBuffered, sendUpstream, type UpstreamRequest } from '../http.js';
import { bufferedError, parseJsonBody, upstreamError, type UpstreamErrorMapper } from '../read-reply.js';
import { addTraceContext } from '../trace-context.js';
import { upstreamName, type Upstream } from '../upstream.js';
import { decodeSse } from '../sse.js';
import { readTokenCount } from '../token-count.js';
import { decodePredictEmbeddingResponse, encodePredictEmbeddingRequest } from '../dialects/gemini/index.js';
import { embeddingsUnsupported, embeddingTexts } from '../dialects/embedding-texts.js';
import { isGeminiChatModel, type VertexOptions } from './options.js';
import { googleTokenSource, type TokenSource } from './auth.js';
import { vertexModelUrl, type VertexTarget } from './urls.js';
import type { PublisherWire } from './publisher.js';
import { geminiWire } from './gemini.js';
import { claudeWire } from './claude.js';

const TYPE = 'vertex';

/** A client that left while the request waited for its Google token sent nothing upstream. */
const leftBeforeAuthorized = (signal: CancelSignal): GatewayError => abortedBeforeSending(signal, TYPE);

/** gemini-embedding-001 takes one instance per :predict call; the text-embedding models up to 250. */
function defaultBatchSize(model: string): number {
  return model.startsWith('gemini-embedding') ? 1 : 250;
}

/** One Vertex AI deployment: a Gemini or Claude model (or an embedding model) in one project and location. */
export class VertexProvider implements Provider {
  readonly type = TYPE;
  /** Whose upstream its calls reach, as their errors name it. */
  private readonly upstream: Upstream;
  private readonly agent: Agent;
  private readonly target: VertexTarget;
  private readonly wire: PublisherWire;
  private readonly tokens: TokenSource;
  private readonly headers: Record<string, string>;
  private readonly mapError: UpstreamErrorMapper;

  constructor(
    private readonly deployment: DeploymentConfig,
    private readonly options: VertexOptions,
    tokens?: TokenSource,
  ) {
    this.upstream = { provider: TYPE, deployment: deployment.id };
    this.agent = createAgent({ connections: options.max_connections, keepAliveTimeoutMs: options.keep_alive_timeout_ms, connectTimeoutMs: options.connect_timeout_ms });
    this.target = { project: options.project, location: options.location, publisher: options.publisher, model: deployment.model, endpoint: deployment.endpoint };
    this.wire = options.publisher === 'anthropic' ? claudeWire(this.upstream, deployment.model, options.default_max_tokens, deployment.passthrough, options.structured_outputs) : geminiWire(this.upstream, deployment.model);
    this.tokens = tokens ?? googleTokenSource({ credentials: options.credentials_file, selfSignedJwt: options.self_signed_jwt }, TYPE);
    this.headers = { 'content-type': 'application/json', ...deployment.headers };
    this.mapError = (status, headers, body) => this.wire.mapError(status, headers, body);
  }

  private async request(method: string, body: unknown, ctx: CallContext, model?: string): Promise<UpstreamRequest> {
    const url = vertexModelUrl(model === undefined ? this.target : { ...this.target, model }, method);
    // A token refresh (the metadata server, Google's token endpoint) may take a while: a client that leaves meanwhile stops waiting.
    const headers = { ...this.headers, ...(await raceAbort(this.tokens.headers(), ctx.signal, leftBeforeAuthorized)) };
    addTraceContext(headers, ctx);
    return { url, headers, body: JSON.stringify(body), signal: ctx.signal };
  }

  /** A non-streaming call: the parsed answer, or its error mapped into the taxonomy. */
  private async post(method: string, body: unknown, ctx: CallContext, model?: string): Promise<unknown> {
    const res = await requestBuffered(this.agent, await this.request(method, body, ctx, model), this.upstream);
    if (res.status >= 400) throw bufferedError(res, this.upstream, this.mapError);
    return parseJsonBody(res, this.upstream);
  }

  async chat(request: ChatRequest, ctx: CallContext): Promise<ChatResponse> {
    const { body, warnings } = this.wire.encodeChat(request, false);
    const json = await this.post(this.wire.chatMethod(false), body, ctx);
    const response = decodeReply(this.upstream, () => this.wire.decodeChat(json, warnings));
    return response.model === '' ? { ...response, model: this.deployment.model } : response;
  }

  async stream(request: ChatRequest, ctx: CallContext): Promise<AsyncIterable<StreamPart>> {
    const { body, warnings } = this.wire.encodeChat(request, true);
    const res = await sendUpstream(this.agent, await this.request(this.wire.chatMethod(true), body, ctx), this.upstream);
    if (res.status >= 400) throw await upstreamError(res, this.upstream, ctx.signal, this.mapError);
    return this.wire.decodeStream(decodeSse(res.body), warnings);
  }

  /** Text embeddings through :predict, in batches the model accepts, one call after another. */
  async embed(request: EmbeddingRequest, ctx: CallContext): Promise<EmbeddingResponse> {
    if (this.options.publisher !== 'google') throw embeddingsUnsupported(request, 'runs Claude on Vertex AI, which has no embeddings', TYPE);
    // Vertex answers :predict on a Gemini chat model with 400 FAILED_PRECONDITION ("Gemini cannot be
    // accessed through Vertex Predict/RawPredict API"): refused before sending, so the group's next deployment is tried.
    if (isGeminiChatModel(this.deployment.model)) throw embeddingsUnsupported(request, 'runs a Gemini chat model on Vertex AI, not an embedding model', TYPE);
    const texts = embeddingTexts(request, 'Vertex AI');
    const size = this.options.embedding_batch_size ?? defaultBatchSize(this.deployment.model);
    const embeddings: number[][] = [];
    let tokens = 0;
    let estimated = false;
    for (let i = 0; i < texts.length; i += size) {
      const body = encodePredictEmbeddingRequest(texts.slice(i, i + size), { dimensions: request.dimensions, taskType: this.options.embedding_task_type });
      let json: unknown;
      try {
        json = await this.post('predict', body, ctx);
      } catch (err) {
        // The batches before this one reached the upstream: the attempt was sent, whatever this one was.
        throw i > 0 && GatewayError.isInstance(err) ? err.withUnsent(false) : err;
      }
      const part = decodeReply(this.upstream, () => decodePredictEmbeddingResponse(json, this.deployment.model, this.upstream));
      // One vector per input, or the client would get vectors for the wrong texts.
      if (part.embeddings.length !== body.instances.length) {
        const paidUsage = part.usageEstimated ? undefined : makeUsage({ prompt: tokens + part.usage.prompt });
        throw new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${upstreamName(this.upstream)} returned ${part.embeddings.length} embeddings for ${body.instances.length} inputs.`, provider: TYPE, paidUsage });
      }
      for (const embedding of part.embeddings) embeddings.push(embedding);
      tokens += part.usage.prompt;
      if (part.usageEstimated) estimated = true;
    }
    if (estimated) return { model: this.deployment.model, embeddings, usage: makeUsage({}), usageEstimated: true };
    return { model: this.deployment.model, embeddings, usage: makeUsage({ prompt: tokens, total: tokens }) };
  }

  /** The publisher's free counter: Gemini's countTokens, or Claude's count-tokens:rawPredict. */
  async countTokens(request: ChatRequest, ctx: CallContext): Promise<number> {
    const { method, body, publisherModel, countField } = this.wire.countTokens(request);
    return readTokenCount(await this.post(method, body, ctx, publisherModel), countField, this.upstream);
  }

  /** Vertex lists publisher models only in v1beta1; a deployment serves exactly its configured model. */
  async listModels(): Promise<ModelInfo[]> {
    return [{ id: this.deployment.model, ownedBy: this.options.publisher }];
  }

  /** A token-count call: free, and it proves credentials, project, location and model access. */
  async probe(ctx: CallContext): Promise<void> {
    const { method, body, publisherModel } = this.wire.probe();
    await this.post(method, body, ctx, publisherModel);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
