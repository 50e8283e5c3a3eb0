import { GatewayError } from '../../core/errors.js';
import { echoed } from '../../core/json.js';
import type { ChatRequest } from '../../core/types.js';
import type { ChatResult, RequestOptions } from '../../gateway/gateway.js';
import { parseJson } from '../../http/body.js';
import type { HttpRequest, HttpResponse } from '../../http/exchange.js';
import { jsonResponse } from '../../http/respond.js';
import type { Ingress, Route, RouteContext } from '../../http/route.js';
import { SseStream } from '../../http/sse.js';
import { takeBodyHints } from '../body-hints.js';
import { asStreamHeaders, requestOptions, servedHeaders } from '../gateway-headers.js';
import { answerCost, wantsExtensions } from '../extras.js';
import { anthropicMessages } from '../anthropic-messages/index.js';
import { anthropicModel, anthropicModels, asksAnthropic } from '../anthropic-messages/models.js';
import { decodeEmbeddingRequest } from './decode-embeddings.js';
import { decodeChatCompletionRequest } from './decode-request.js';
import { CHAT_API_UNMAPPED_FIELDS } from './fields.js';
import { encodeChatResponse, encodeEmbeddingResponse } from './encode-response.js';
import { inDoorTerms } from './param-path.js';
import { ChatStreamEncoder } from './stream.js';

async function chatCompletions(ctx: RouteContext): Promise<HttpResponse> {
  const body = parseJson(await ctx.body());
  const hints = takeBodyHints(body);
  const { request, stream, includeUsage } = decodeChatCompletionRequest(body);
  const options = requestOptions(ctx, 'openai-chat', hints);
  options.apiFields = CHAT_API_UNMAPPED_FIELDS;
  // A refused output limit is named as the client spelled it.
  if (request.maxOutputTokens !== undefined) options.maxTokensParam = request.providerOptions?.openai?.max_tokens_field === 'max_completion_tokens' ? 'max_completion_tokens' : 'max_tokens';
  let result: ChatResult;
  try {
    if (stream) return await streamCompletion(ctx, request, options, includeUsage);
    result = await ctx.gateway.chat(request, options);
  } catch (err) {
    // A dialect names the canonical request's parts; the client reads its own fields.
    throw inDoorTerms(err, body);
  }
  const { response, servedBy, headers: admitted, cache } = result;
  ctx.servedBy = servedBy;
  const headers = servedHeaders(servedBy, admitted, cache, response.warnings);
  const extras = wantsExtensions(ctx, servedBy);
  const cost = answerCost(ctx, servedBy, response.usage, { extras, estimated: response.usageEstimated });
  if (cost.usd !== undefined) headers['x-switchyard-cost-usd'] = cost.usd;
  if (response.usageEstimated) headers['x-switchyard-usage-estimated'] = 'true';
  return jsonResponse(200, encodeChatResponse(response, `chatcmpl-${ctx.requestId}`, request.model, cost.extension, extras), headers);
}

async function streamCompletion(ctx: RouteContext, request: ChatRequest, options: RequestOptions, includeUsage: boolean): Promise<HttpResponse> {
  const { parts, servedBy, headers: admitted, cache, warnings } = await ctx.gateway.stream(request, options);
  ctx.servedBy = servedBy;
  const headers = asStreamHeaders(servedHeaders(servedBy, admitted, cache, warnings), ctx.costOf !== undefined);
  const encoder = new ChatStreamEncoder(ctx, servedBy, request.model, includeUsage);
  return { status: 200, headers, body: new SseStream(parts[Symbol.asyncIterator](), encoder, ctx), trailers: encoder.trailers };
}

async function embeddings(ctx: RouteContext): Promise<HttpResponse> {
  const body = parseJson(await ctx.body());
  const hints = takeBodyHints(body);
  const { request, encodingFormat } = decodeEmbeddingRequest(body);
  const { response, servedBy, headers: admitted } = await ctx.gateway.embed(request, requestOptions(ctx, 'openai-chat', hints));
  ctx.servedBy = servedBy;
  const headers = servedHeaders(servedBy, admitted);
  const { usd } = answerCost(ctx, servedBy, response.usage);
  if (usd !== undefined) headers['x-switchyard-cost-usd'] = usd;
  return jsonResponse(200, encodeEmbeddingResponse(response, request.model, encodingFormat), headers);
}

/** The model names the calling key may use; in Anthropic's shape for Anthropic's clients (`anthropic-version`). */
async function models(ctx: RouteContext): Promise<HttpResponse> {
  if (asksAnthropic(ctx.request)) return anthropicModels(ctx);
  return jsonResponse(200, {
    object: 'list',
    data: ctx.caller.access.models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'switchyard' })),
  });
}

/**
 * One model the calling key may use (the SDK's `models.retrieve`); any other name is the 404 a chat
 * request naming it gets; Anthropic's `ModelInfo` and 404 for Anthropic's clients. `{model+}`: a name may hold a `/` (`meta-llama/Llama-3.1-8B`).
 */
async function model(ctx: RouteContext): Promise<HttpResponse> {
  if (asksAnthropic(ctx.request)) return anthropicModel(ctx);
  const id = ctx.params.model ?? '';
  if (!ctx.caller.access.models.includes(id)) {
    throw new GatewayError({ kind: 'not_found', message: `The model '${echoed(id, 64)}' does not exist. Ask GET /v1/models for the available names.`, param: 'model', code: 'model_not_found' });
  }
  return jsonResponse(200, { id, object: 'model', created: 0, owned_by: 'switchyard' });
}

/** Anthropic's clients get every refusal on the Models routes in Anthropic's shape, as its API answers them. */
const anthropicForItsClients = (request: HttpRequest): Ingress | undefined => (asksAnthropic(request) ? anthropicMessages : undefined);

/** The OpenAI-compatible API, with and without the `/v1` prefix. */
export const OPENAI_CHAT_ROUTES: readonly Route[] = [
  { method: 'POST', path: '/v1/chat/completions', handle: chatCompletions },
  { method: 'POST', path: '/chat/completions', handle: chatCompletions },
  { method: 'POST', path: '/v1/embeddings', handle: embeddings },
  { method: 'POST', path: '/embeddings', handle: embeddings },
  { method: 'GET', path: '/v1/models', handle: models, errorDoor: anthropicForItsClients },
  { method: 'GET', path: '/models', handle: models, errorDoor: anthropicForItsClients },
  { method: 'GET', path: '/v1/models/{model+}', handle: model, errorDoor: anthropicForItsClients },
  { method: 'GET', path: '/models/{model+}', handle: model, errorDoor: anthropicForItsClients },
];
