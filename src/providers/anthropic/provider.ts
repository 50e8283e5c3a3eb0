import type { Agent } from '../transport/agent.js';
import { decodeReply } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { CallContext, Provider } from '../../core/provider.js';
import type { ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, ModelInfo, StreamPart, Warning } from '../../core/types.js';
import type { DeploymentConfig } from '../../config/schema.js';
import { createAgent, requestBuffered, sendUpstream, type BufferedResponse, type UpstreamRequest } from '../http.js';
import { bufferedError, parseJsonBody, upstreamError } from '../read-reply.js';
import { withTraceContext } from '../trace-context.js';
import type { Upstream } from '../upstream.js';
import { decodeSse } from '../sse.js';
import {
  claudeTakesPrefill,
  decodeMessagesResponse,
  decodeMessagesStream,
  encodeCountTokensRequest,
  encodeMessagesRequest,
  mapAnthropicError,
  type MessagesRequestBody,
} from '../dialects/anthropic-messages/index.js';
import { readTokenCount } from '../token-count.js';
import { embeddingsUnsupported } from '../dialects/embedding-texts.js';
import type { AnthropicOptions } from './index.js';
import { versionRules, type VersionRules } from './version.js';

const TYPE = 'anthropic';
const MAX_MODEL_PAGES = 20;

export class AnthropicProvider implements Provider {
  readonly type = TYPE;
  /** Whose upstream its calls reach, as their errors name it. */
  private readonly upstream: Upstream;
  /** A final assistant message is a prefill in the Messages API, which some Claude models refuse. */
  readonly prefill: boolean;
  private readonly agent: Agent;
  private readonly base: string;
  private readonly messagesUrl: URL;
  private readonly countTokensUrl: URL;
  private readonly headers: Record<string, string>;
  private readonly rules: VersionRules;
  private readonly warned = new Set<string>();

  constructor(
    private readonly deployment: DeploymentConfig,
    private readonly options: AnthropicOptions,
    private readonly logger: Logger,
  ) {
    this.upstream = { provider: TYPE, deployment: deployment.id };
    this.prefill = claudeTakesPrefill(deployment.model);
    this.agent = createAgent({ connections: options.max_connections, keepAliveTimeoutMs: options.keep_alive_timeout_ms, connectTimeoutMs: options.connect_timeout_ms });
    this.base = options.endpoint.replace(/\/+$/, '').replace(/\/v1$/, '');
    this.messagesUrl = new URL(`${this.base}/v1/messages`);
    this.countTokensUrl = new URL(`${this.base}/v1/messages/count_tokens`);
    this.rules = versionRules(options.anthropic_version);
    this.headers = { 'content-type': 'application/json', ...deployment.headers, 'anthropic-version': options.anthropic_version };
    if (options.anthropic_beta.length > 0) this.headers['anthropic-beta'] = options.anthropic_beta.join(',');
    const key = deployment.api_key?.reveal();
    if (key !== undefined) {
      if (this.rules.authHeader === 'bearer') this.headers.authorization = `Bearer ${key}`;
      else this.headers['x-api-key'] = key;
    }
  }

  /** Logs each distinct adaptation once per deployment: it is a config fact, not a per-request event. */
  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.logger.warn({ provider: TYPE, anthropicVersion: this.options.anthropic_version }, message);
  }

  /** The request body; what it had to drop or change goes onto `warnings`, which the answer reports. */
  private encode(request: ChatRequest, stream: boolean, warnings: Warning[]): MessagesRequestBody {
    if (this.rules.omitSamplingParams && (request.temperature !== undefined || request.topP !== undefined || request.topK !== undefined)) {
      this.warnOnce(`anthropic-version ${this.options.anthropic_version} rejects temperature/top_p/top_k; they are omitted from requests.`);
    }
    return encodeMessagesRequest(request, {
      model: this.deployment.model,
      stream,
      defaultMaxTokens: this.options.max_tokens,
      omitSamplingParams: this.rules.omitSamplingParams,
      warnings,
      passthrough: this.deployment.passthrough,
    });
  }

  private request(method: 'GET' | 'POST', url: URL, body: unknown, ctx: CallContext): UpstreamRequest {
    return { url, method, headers: withTraceContext(this.headers, ctx), body: body === undefined ? undefined : JSON.stringify(body), signal: ctx.signal };
  }

  /** A non-streaming call: the whole answer, or its error mapped into the taxonomy. */
  private async send(method: 'GET' | 'POST', url: URL, body: unknown, ctx: CallContext): Promise<BufferedResponse> {
    const res = await requestBuffered(this.agent, this.request(method, url, body, ctx), this.upstream);
    if (res.status >= 400) throw bufferedError(res, this.upstream, mapAnthropicError);
    return res;
  }

  async chat(request: ChatRequest, ctx: CallContext): Promise<ChatResponse> {
    const warnings: Warning[] = [];
    const body = this.encode(request, false, warnings);
    const json = parseJsonBody(await this.send('POST', this.messagesUrl, body, ctx), this.upstream);
    return decodeReply(this.upstream, () => decodeMessagesResponse(json, this.upstream, warnings));
  }

  async stream(request: ChatRequest, ctx: CallContext): Promise<AsyncIterable<StreamPart>> {
    const warnings: Warning[] = [];
    const res = await sendUpstream(this.agent, this.request('POST', this.messagesUrl, this.encode(request, true, warnings), ctx), this.upstream);
    if (res.status >= 400) throw await upstreamError(res, this.upstream, ctx.signal, mapAnthropicError);
    return decodeMessagesStream(decodeSse(res.body), this.upstream, warnings);
  }

  /** `/v1/messages/count_tokens`, which is free: the prompt of the body a chat call would send. */
  async countTokens(request: ChatRequest, ctx: CallContext): Promise<number> {
    const body = encodeCountTokensRequest(this.encode(request, false, []), this.deployment.model);
    return readTokenCount(parseJsonBody(await this.send('POST', this.countTokensUrl, body, ctx), this.upstream), 'input_tokens', this.upstream);
  }

  /** Anthropic has no embeddings API (it recommends Voyage AI): the group's next deployment is tried. */
  embed(request: EmbeddingRequest): Promise<EmbeddingResponse> {
    return Promise.reject(embeddingsUnsupported(request, "is on Anthropic's API, which has no embeddings", TYPE));
  }

  async listModels(ctx: CallContext): Promise<ModelInfo[]> {
    const models: ModelInfo[] = [];
    let after: string | undefined;
    for (let page = 0; page < MAX_MODEL_PAGES; page++) {
      const query = `?limit=1000${after === undefined ? '' : `&after_id=${encodeURIComponent(after)}`}`;
      const body = parseJsonBody(await this.send('GET', new URL(`${this.base}/v1/models${query}`), undefined, ctx), this.upstream) as {
        data?: Array<{ id?: unknown }>;
        has_more?: unknown;
        last_id?: unknown;
      };
      for (const m of body.data ?? []) if (typeof m.id === 'string') models.push({ id: m.id, ownedBy: TYPE });
      if (body.has_more !== true || typeof body.last_id !== 'string') break;
      after = body.last_id;
    }
    return models;
  }

  /** Listing models is free and checks both reachability and the key. */
  async probe(ctx: CallContext): Promise<void> {
    await this.send('GET', new URL(`${this.base}/v1/models?limit=1`), undefined, ctx);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
