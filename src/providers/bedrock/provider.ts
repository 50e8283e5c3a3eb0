import type { Agent } from '../transport/agent.js';
import { abortedBeforeSending, raceAbort } from '../../core/abort.js';
import type { CancelSignal } from '../../core/cancel.js';
import { decodeReply, GatewayError } from '../../core/errors.js';
import type { CallContext, Provider } from '../../core/provider.js';
import type { ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, ModelInfo, StreamPart, Warning } from '../../core/types.js';
import { makeUsage } from '../../core/types.js';
import type { DeploymentConfig } from '../../config/schema.js';
import { createAgent, requestBuffered, sendUpstream, type BufferedResponse, type UpstreamRequest } from '../http.js';
import { bufferedError, parseJsonBody, upstreamError } from '../read-reply.js';
import { addTraceContext } from '../trace-context.js';
import type { Upstream } from '../upstream.js';
import {
  COHERE_BATCH,
  countTokensModelId,
  decodeCohereResponse,
  decodeConverseResponse,
  decodeConverseStream,
  decodeTitanResponse,
  embeddingFamily,
  encodeCohereRequest,
  encodeConverseRequest,
  encodeCountTokensRequest,
  encodeTitanRequest,
  mapBedrockError,
  offersNoTools,
  toolNotOffered,
  type ConverseRequestBody,
  type EmbeddingFamily,
} from '../dialects/bedrock-converse/index.js';
import type { CredentialSource } from './credentials.js';
import { readTokenCount } from '../token-count.js';
import { headerTokens, mapBounded } from './embed.js';
import { embeddingsUnsupported, embeddingTexts } from '../dialects/embedding-texts.js';
import type { BedrockOptions } from './index.js';
import { rulesModel } from './base-model.js';
import { BedrockSigner } from './sign.js';

const TYPE = 'bedrock';
const EVENT_STREAM = 'application/vnd.amazon.eventstream';

/** A client that left while the request waited for its credentials sent nothing upstream. */
const leftBeforeSigned = (signal: CancelSignal): GatewayError => abortedBeforeSending(signal, TYPE);

export class BedrockProvider implements Provider {
  readonly type = TYPE;
  /** Whose upstream its calls reach, as their errors name it. */
  private readonly upstream: Upstream;
  private readonly agent: Agent;
  private readonly base: string;
  private readonly signer: BedrockSigner | undefined;
  private readonly bearer: string | undefined;
  /** The model the wire rules follow: `base_model` where the configured ARN hides it; the URL keeps `model`. */
  private readonly rulesModel: string;

  /** `credentials` is absent when the deployment authenticates with a Bedrock API key. */
  constructor(
    private readonly deployment: DeploymentConfig,
    private readonly options: BedrockOptions,
    credentials: CredentialSource | undefined,
  ) {
    this.upstream = { provider: TYPE, deployment: deployment.id };
    this.agent = createAgent({ connections: options.max_connections, keepAliveTimeoutMs: options.keep_alive_timeout_ms, connectTimeoutMs: options.connect_timeout_ms });
    // A VPC interface endpoint (or a simulator) replaces the public regional host.
    this.base = (deployment.endpoint ?? `https://bedrock-runtime.${options.region}.amazonaws.com`).replace(/\/+$/, '');
    this.bearer = deployment.api_key?.reveal();
    this.rulesModel = rulesModel(deployment);
    this.signer = credentials && !this.bearer ? new BedrockSigner(this.guardedCredentials(credentials), options.region) : undefined;
  }

  /** Credential failures become `authentication` errors that name no secret. */
  private guardedCredentials(source: CredentialSource): CredentialSource {
    return async () => {
      try {
        return await source();
      } catch (err) {
        throw new GatewayError({ kind: 'authentication', message: `Could not load AWS credentials for ${TYPE}: ${(err as Error).name}.`, provider: TYPE, cause: err });
      }
    };
  }

  /** `/model/{id}/{op}`; inference-profile ids and ARNs are percent-encoded (`:` -> `%3A`, `/` -> `%2F`). */
  private url(operation: string, modelId: string): URL {
    return new URL(`${this.base}/model/${encodeURIComponent(modelId)}/${operation}`);
  }

  /** The request to send, signed over the exact body bytes and headers that go on the wire. */
  private async request(operation: string, payload: unknown, accept: string, ctx: CallContext, modelId = this.deployment.model): Promise<UpstreamRequest> {
    const url = this.url(operation, modelId);
    const body = JSON.stringify(payload);
    let headers: Record<string, string> = Object.assign({}, this.deployment.headers, { 'content-type': 'application/json', accept });
    // Added before signing: SigV4 then covers the trace context, and it reaches AWS unchanged.
    addTraceContext(headers, ctx);
    if (this.bearer !== undefined) headers.authorization = `Bearer ${this.bearer}`;
    // Credentials may take a while (a refresh from IMDS or STS): a client that leaves meanwhile stops waiting.
    else if (this.signer) headers = await raceAbort(this.signer.sign(url, headers, body), ctx.signal, leftBeforeSigned);
    return { url, headers, body, signal: ctx.signal };
  }

  /** A non-streaming call: the whole answer, or its error mapped into the taxonomy. */
  private async post(operation: string, payload: unknown, ctx: CallContext, modelId?: string): Promise<BufferedResponse> {
    const res = await requestBuffered(this.agent, await this.request(operation, payload, 'application/json', ctx, modelId), this.upstream);
    if (res.status >= 400) throw bufferedError(res, this.upstream, mapBedrockError);
    return res;
  }

  /** The Converse body; what it had to drop or change goes onto `warnings`, which the answer reports. */
  private encode(request: ChatRequest, warnings: Warning[]): ConverseRequestBody {
    return encodeConverseRequest(request, { model: this.rulesModel, cacheSystemPrompt: this.options.cache_system_prompt, passthrough: this.deployment.passthrough, warnings });
  }

  async chat(request: ChatRequest, ctx: CallContext): Promise<ChatResponse> {
    const warnings: Warning[] = [];
    const body = this.encode(request, warnings);
    const json = parseJsonBody(await this.post('converse', body, ctx), this.upstream);
    const response = decodeReply(this.upstream, () => decodeConverseResponse(json, this.upstream, `chatcmpl-${ctx.requestId}`, this.deployment.model, Math.floor(Date.now() / 1000), warnings, this.rulesModel));
    if (offersNoTools(body) && response.content.some((p) => p.type === 'tool-call')) throw toolNotOffered(this.upstream, response.usageEstimated ? undefined : response.usage);
    return response;
  }

  async stream(request: ChatRequest, ctx: CallContext): Promise<AsyncIterable<StreamPart>> {
    const warnings: Warning[] = [];
    const body = this.encode(request, warnings);
    const res = await sendUpstream(this.agent, await this.request('converse-stream', body, EVENT_STREAM, ctx), this.upstream);
    if (res.status >= 400) throw await upstreamError(res, this.upstream, ctx.signal, mapBedrockError);
    const parts = decodeConverseStream(res.body, this.upstream, this.rulesModel, warnings);
    return offersNoTools(body) ? withoutToolCalls(parts, this.upstream) : parts;
  }

  /**
   * The CountTokens API (free): the prompt of the Converse body a chat call would send, counted by the
   * foundation model behind the deployment's model id or its `base_model` (CountTokens refuses
   * inference profile ids and the ARNs that hide their model).
   */
  async countTokens(request: ChatRequest, ctx: CallContext): Promise<number> {
    const body = encodeCountTokensRequest(this.encode(request, []));
    const res = await this.post('count-tokens', body, ctx, countTokensModelId(this.rulesModel));
    return readTokenCount(parseJsonBody(res, this.upstream), 'inputTokens', this.upstream);
  }

  /** The InvokeModel body family; a model of neither (a chat model) cannot embed, and the group's next deployment is tried. */
  private family(request: EmbeddingRequest): EmbeddingFamily {
    const family = this.options.embedding_family ?? embeddingFamily(this.rulesModel);
    if (!family) throw embeddingsUnsupported(request, 'runs a model on Amazon Bedrock that is not a Titan or Cohere embedding model', TYPE);
    return family;
  }

  async embed(request: EmbeddingRequest, ctx: CallContext): Promise<EmbeddingResponse> {
    const family = this.family(request);
    const inputs = embeddingTexts(request, family === 'titan' ? 'Amazon Titan on Bedrock' : 'Cohere Embed on Bedrock');
    // Aborting in-flight calls after one fails; the caller's cancellation reaches them too.
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(ctx.signal.reason);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const sub: CallContext = { ...ctx, signal: controller.signal };
    // Whether any call reached the upstream: then the attempt was sent, though a later one never was.
    let sent = false;
    const post = async (payload: unknown): Promise<BufferedResponse> => {
      try {
        const res = await this.post('invoke', payload, sub);
        sent = true;
        return res;
      } catch (err) {
        if (!GatewayError.isInstance(err) || !err.unsent) sent = true;
        throw err;
      }
    };
    try {
      if (family === 'titan') {
        const rows = await mapBounded(
          inputs,
          this.options.embedding_concurrency,
          async (text) => {
            const res = await post(encodeTitanRequest(text, request.dimensions));
            const decoded = decodeReply(this.upstream, () => decodeTitanResponse(parseJsonBody(res, this.upstream), this.upstream));
            return { embedding: decoded.embedding, tokens: decoded.tokens ?? headerTokens(res) };
          },
          () => controller.abort(),
        );
        return embeddingAnswer(this.deployment.model, rows.map((r) => r.embedding), rows);
      }
      const batches: string[][] = [];
      for (let i = 0; i < inputs.length; i += COHERE_BATCH) batches.push(inputs.slice(i, i + COHERE_BATCH));
      const results = await mapBounded(
        batches,
        this.options.embedding_concurrency,
        async (texts) => {
          const res = await post(encodeCohereRequest(texts, this.options.cohere_input_type, request.dimensions));
          return { vectors: decodeReply(this.upstream, () => decodeCohereResponse(parseJsonBody(res, this.upstream), texts.length, this.upstream)), tokens: headerTokens(res) };
        },
        () => controller.abort(),
      );
      return embeddingAnswer(this.deployment.model, results.flatMap((r) => r.vectors), results);
    } catch (err) {
      throw sent && GatewayError.isInstance(err) ? err.withUnsent(false) : err;
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }
  }

  /** Bedrock Runtime cannot list models; a deployment serves exactly its configured model. */
  listModels(): Promise<ModelInfo[]> {
    return Promise.resolve([{ id: this.deployment.model, ownedBy: TYPE }]);
  }

  /**
   * Bedrock Runtime has no free call that proves credentials, region and model access together, so
   * the probe is the smallest billed call: Converse with a one-word prompt and maxTokens 1 (about
   * 2 input + 1 output tokens), or one Titan/Cohere embedding of one word.
   */
  async probe(ctx: CallContext): Promise<void> {
    if (embeddingFamily(this.rulesModel) !== undefined || this.options.embedding_family !== undefined) {
      await this.embed({ model: this.deployment.model, input: ['ping'] }, ctx);
      return;
    }
    parseJsonBody(await this.post('converse', { messages: [{ role: 'user', content: [{ text: 'ping' }] }], inferenceConfig: { maxTokens: 1 } }, ctx), this.upstream);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** Embeddings with the calls' token counts: when one is missing, the gateway's estimate instead (`usageEstimated`). */
function embeddingAnswer(model: string, embeddings: number[][], calls: ReadonlyArray<{ tokens: number | undefined }>): EmbeddingResponse {
  if (calls.some((c) => c.tokens === undefined)) return { model, embeddings, usage: makeUsage({}), usageEstimated: true };
  const tokens = calls.reduce((n, c) => n + (c.tokens ?? 0), 0);
  return { model, embeddings, usage: makeUsage({ prompt: tokens, total: tokens }) };
}

/**
 * The parts of a stream whose request offered no tools: a tool call in it is the model's mistake, raised
 * as one. Nothing after the call is passed on, but the error waits for the usage that ends the stream, so
 * it carries what the upstream charged.
 */
async function* withoutToolCalls(parts: AsyncIterable<StreamPart>, upstream: Upstream): AsyncGenerator<StreamPart> {
  let called = false;
  for await (const part of parts) {
    if (part.type === 'tool-call') called = true;
    if (!called) yield part;
    else if (part.type === 'usage') throw toolNotOffered(upstream, part.estimated === true ? undefined : part.usage);
  }
  if (called) throw toolNotOffered(upstream);
}
