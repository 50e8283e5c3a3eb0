import type { Agent } from '../transport/agent.js';
import type { CallContext, Provider } from '../../core/provider.js';
import type { ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, ModelInfo, StreamPart } from '../../core/types.js';
import { embeddingInputCount } from '../../core/types.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { decodeReply, GatewayError } from '../../core/errors.js';
import type { DeploymentConfig } from '../../config/schema.js';
import type { TokenCredential } from '@azure/identity';
import { createAgent, requestBuffered, sendUpstream, type BufferedResponse, type UpstreamRequest } from '../http.js';
import { bufferedError, parseJsonBody, upstreamError, type UpstreamErrorMapper } from '../read-reply.js';
import { withTraceContext } from '../trace-context.js';
import type { Upstream } from '../upstream.js';
import { decodeSse } from '../sse.js';
import {
  decodeChatResponse,
  decodeEmbeddingResponse,
  encodeChatRequest,
  encodeEmbeddingRequest,
  mapOpenAIEmbeddingError,
  mapOpenAIError,
  reasoningEffortsFor,
  samplingRuleFor,
  type ChatEncodeOptions,
} from '../dialects/openai-chat/index.js';
import { COGNITIVE_SERVICES_SCOPE, type AzureOpenAIOptions } from './options.js';
import { azureUrls, type AzureUrls } from './urls.js';
import { apiKeyAuthorizer, entraAuthorizer, type Authorizer } from './auth.js';
import { createCredential, EntraTokenSource } from './entra.js';
import { decodeAzureStream } from './filters.js';

const TYPE = 'azure-openai';
/** The first api-version that takes max_completion_tokens and stream_options (versions are dates: they compare as strings). */
const MODERN_API_VERSION = '2024-09-01';
/** What a deployment is whose embeddings Azure refused (`OperationNotSupported`): its name need not say it chats. */
const NO_EMBEDDINGS = 'is an Azure OpenAI deployment of a model without the embeddings operation';

/** Test seams: a fake Entra credential and clock instead of @azure/identity and the wall clock. */
export interface AzureOpenAIOverrides {
  credential?: TokenCredential;
  clock?: Clock;
}

/** Azure OpenAI: the openai-chat dialect on Azure's URLs, with api-key or Entra ID auth. */
export class AzureOpenAIProvider implements Provider {
  readonly type = TYPE;
  /** Whose upstream its calls reach, as their errors name it. */
  private readonly upstream: Upstream;
  private readonly agent: Agent;
  private readonly urls: AzureUrls;
  private readonly baseHeaders: Record<string, string>;
  private readonly auth: Authorizer;
  private readonly passthrough: readonly string[];
  /** How requests are encoded, fixed per deployment: one object per stream mode, none per request. */
  private readonly encoding: { chat: ChatEncodeOptions; stream: ChatEncodeOptions };

  constructor(
    deployment: DeploymentConfig,
    private readonly options: AzureOpenAIOptions,
    overrides: AzureOpenAIOverrides = {},
  ) {
    this.upstream = { provider: TYPE, deployment: deployment.id };
    this.agent = createAgent({ connections: options.max_connections, keepAliveTimeoutMs: options.keep_alive_timeout_ms, connectTimeoutMs: options.connect_timeout_ms });
    this.urls = azureUrls({ endpoint: options.endpoint, api: options.api, apiVersion: options.api_version, deploymentName: options.deployment_name ?? deployment.model });
    this.baseHeaders = { 'content-type': 'application/json', ...deployment.headers };
    this.passthrough = deployment.passthrough;
    // Azure's reasoning models (o-series, gpt-5) refuse max_tokens; every model takes max_completion_tokens,
    // from api-version 2024-09-01(-preview) on, as it takes stream_options: older versions refuse both.
    const dated = options.api === 'deployments' && options.api_version < MODERN_API_VERSION;
    const chat: ChatEncodeOptions = {
      model: this.urls.model,
      provider: TYPE,
      stream: false,
      passthrough: this.passthrough,
      maxTokensField: dated ? 'max_tokens' : 'max_completion_tokens',
      streamUsage: !dated,
      // Judged by the model, not the Azure deployment's name, which the operator chose freely.
      reasoningEfforts: reasoningEffortsFor(deployment.model, deployment.capabilities),
      samplingRule: samplingRuleFor(deployment.model),
      // "Up to 4 sequences where the API will stop generating further tokens."
      maxStopSequences: 4,
    };
    this.encoding = { chat, stream: { ...chat, stream: true } };
    const auth = options.auth ?? (deployment.api_key ? { type: 'api_key' as const } : undefined);
    if (auth?.type === 'api_key') {
      if (!deployment.api_key) throw new GatewayError({ kind: 'internal', message: 'azure-openai api_key auth without an api_key.', provider: TYPE });
      this.auth = apiKeyAuthorizer(deployment.api_key);
    } else {
      const entra = auth ?? { type: 'entra' as const, credential: 'default' as const, scope: COGNITIVE_SERVICES_SCOPE };
      const tokens = new EntraTokenSource({
        credential: overrides.credential ?? (() => createCredential(entra)),
        scope: entra.scope,
        clock: overrides.clock ?? systemClock,
      });
      this.auth = entraAuthorizer(tokens);
    }
  }

  private async request(url: URL, body: unknown, ctx: CallContext, method: 'GET' | 'POST'): Promise<UpstreamRequest> {
    const headers = await this.auth.headers(withTraceContext(this.baseHeaders, ctx), ctx.signal);
    return { url, method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: ctx.signal };
  }

  /** A non-streaming call: the whole answer, or its error mapped into the taxonomy. */
  private async send(url: URL, body: unknown, ctx: CallContext, method: 'GET' | 'POST' = 'POST', mapError: UpstreamErrorMapper = mapOpenAIError): Promise<BufferedResponse> {
    const res = await requestBuffered(this.agent, await this.request(url, body, ctx, method), this.upstream);
    if (res.status >= 400) {
      if (res.status === 401) this.auth.rejected();
      throw bufferedError(res, this.upstream, mapError);
    }
    return res;
  }

  async chat(request: ChatRequest, ctx: CallContext): Promise<ChatResponse> {
    const { body, warnings } = encodeChatRequest(request, this.encoding.chat);
    const json = parseJsonBody(await this.send(this.urls.chat, body, ctx), this.upstream);
    return decodeReply(this.upstream, () => decodeChatResponse(json, this.upstream, warnings));
  }

  async stream(request: ChatRequest, ctx: CallContext): Promise<AsyncIterable<StreamPart>> {
    const { body, warnings } = encodeChatRequest(request, this.encoding.stream);
    const res = await sendUpstream(this.agent, await this.request(this.urls.chat, body, ctx, 'POST'), this.upstream);
    if (res.status >= 400) {
      if (res.status === 401) this.auth.rejected();
      throw await upstreamError(res, this.upstream, ctx.signal, mapOpenAIError);
    }
    return decodeAzureStream(decodeSse(res.body), this.upstream, warnings);
  }

  async embed(request: EmbeddingRequest, ctx: CallContext): Promise<EmbeddingResponse> {
    const body = encodeEmbeddingRequest(request, this.urls.model, this.passthrough);
    const res = await this.send(this.urls.embeddings, body, ctx, 'POST', mapOpenAIEmbeddingError(request, NO_EMBEDDINGS));
    return decodeReply(this.upstream, () => decodeEmbeddingResponse(parseJsonBody(res, this.upstream), this.upstream, embeddingInputCount(request)));
  }

  /** The models the resource offers (not its deployments: the data plane does not list those). */
  async listModels(ctx: CallContext): Promise<ModelInfo[]> {
    const body = parseJsonBody(await this.send(this.urls.models, undefined, ctx, 'GET'), this.upstream);
    const data = (body as { data?: Array<{ id?: unknown; owned_by?: unknown }> }).data ?? [];
    return data.filter((m) => typeof m.id === 'string').map((m) => ({ id: m.id as string, ownedBy: typeof m.owned_by === 'string' ? m.owned_by : TYPE }));
  }

  /**
   * `models` (default): lists the resource's models, which is free and proves endpoint, network path
   * and credential, but not that the deployment exists. `completion`: a 1-token chat to the deployment
   * itself, billed at a token or two, which also catches a deleted or over-quota deployment.
   */
  async probe(ctx: CallContext): Promise<void> {
    if (this.options.probe === 'models') {
      await this.listModels(ctx);
      return;
    }
    parseJsonBody(await this.send(this.urls.chat, { model: this.urls.model, messages: [{ role: 'user', content: 'ping' }], [this.encoding.chat.maxTokensField ?? 'max_completion_tokens']: 1 }, ctx), this.upstream);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
