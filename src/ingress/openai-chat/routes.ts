import type { Gateway } from '../../gateway/gateway.js';
import { parseJson } from '../../http/body.js';
import type { HttpResponse } from '../../http/exchange.js';
import { jsonResponse } from '../../http/respond.js';
import type { Route, RouteContext } from '../../http/route.js';
import { SseStream } from '../../http/sse.js';
import { formatUsd, requestOptions, servedHeaders } from '../gateway-headers.js';
import { costExtension } from './cost.js';
import { encodeChatResponse, encodeEmbeddingResponse } from './encode-response.js';
import { ChatStreamEncoder } from './stream.js';

type ChatBody = Parameters<Gateway['chat']>[0];
type StreamBody = Parameters<Gateway['stream']>[0];

async function chatCompletions(ctx: RouteContext): Promise<HttpResponse> {
  const body = parseJson(await ctx.body());
  if ((body as { stream?: unknown } | null)?.stream === true) return streamCompletion(ctx, body as StreamBody);
  const { response, servedBy, headers: admitted, cache } = await ctx.gateway.chat(body as ChatBody, requestOptions(ctx));
  ctx.servedBy = servedBy;
  const headers = servedHeaders(servedBy, admitted, cache);
  const cost = costExtension(ctx, servedBy, response.usage, response.usageEstimated);
  if (cost && typeof cost.switchyard.cost_usd === 'number') headers['x-switchyard-cost-usd'] = formatUsd(cost.switchyard.cost_usd);
  return jsonResponse(200, encodeChatResponse(response, (body as { model: string }).model, cost), headers);
}

async function streamCompletion(ctx: RouteContext, body: StreamBody): Promise<HttpResponse> {
  const { parts, servedBy, headers: admitted, cache } = await ctx.gateway.stream(body, requestOptions(ctx));
  ctx.servedBy = servedBy;
  const headers = servedHeaders(servedBy, admitted, cache);
  headers['content-type'] = 'text/event-stream';
  headers['cache-control'] = 'no-cache';
  if (ctx.costOf) headers.trailer = 'x-switchyard-cost-usd';
  const encoder = new ChatStreamEncoder(ctx, servedBy, body.model, body.stream_options?.include_usage === true);
  return { status: 200, headers, body: new SseStream(parts[Symbol.asyncIterator](), encoder, ctx), trailers: encoder.trailers };
}

async function embeddings(ctx: RouteContext): Promise<HttpResponse> {
  const body = parseJson(await ctx.body());
  const { response, servedBy, headers: admitted } = await ctx.gateway.embed(body as Parameters<Gateway['embed']>[0], requestOptions(ctx));
  ctx.servedBy = servedBy;
  const { model, encoding_format: format } = body as { model: string; encoding_format?: 'float' | 'base64' };
  const headers = servedHeaders(servedBy, admitted);
  const cost = costExtension(ctx, servedBy, response.usage);
  if (cost && typeof cost.switchyard.cost_usd === 'number') headers['x-switchyard-cost-usd'] = formatUsd(cost.switchyard.cost_usd);
  return jsonResponse(200, encodeEmbeddingResponse(response, model, format), headers);
}

/** The model names the calling key may use. */
async function models(ctx: RouteContext): Promise<HttpResponse> {
  return jsonResponse(200, {
    object: 'list',
    data: ctx.caller.access.models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'switchyard' })),
  });
}

/** The OpenAI-compatible API, with and without the `/v1` prefix. */
export const OPENAI_CHAT_ROUTES: readonly Route[] = [
  { method: 'POST', path: '/v1/chat/completions', handle: chatCompletions },
  { method: 'POST', path: '/chat/completions', handle: chatCompletions },
  { method: 'POST', path: '/v1/embeddings', handle: embeddings },
  { method: 'POST', path: '/embeddings', handle: embeddings },
  { method: 'GET', path: '/v1/models', handle: models },
  { method: 'GET', path: '/models', handle: models },
];
