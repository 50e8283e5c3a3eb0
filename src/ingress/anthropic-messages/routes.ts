import { parseJson } from '../../http/body.js';
import type { HttpResponse } from '../../http/exchange.js';
import { jsonResponse } from '../../http/respond.js';
import type { Route, RouteContext } from '../../http/route.js';
import { SseStream } from '../../http/sse.js';
import type { ChatRequest } from '../../core/types.js';
import { takeBodyHints, type BodyHints } from '../body-hints.js';
import { asStreamHeaders, requestOptions, servedHeaders } from '../gateway-headers.js';
import { answerCost } from '../extras.js';
import { decodeMessagesRequest } from './decode-request.js';
import { askedOf, encodeMessage } from './encode-response.js';
import { anthropicRequestId } from './errors.js';
import { inDoorTerms } from './param-path.js';
import { toAnthropicRateLimitHeaders } from './rate-limit-headers.js';
import { MessagesStreamEncoder } from './stream.js';

/** A version as clients send it (`2023-06-01`); anything else is not echoed. */
const VERSION = /^[A-Za-z0-9._-]{1,32}$/;

/** Headers every answer of this door carries: who served it, Anthropic's `request-id`, and the client's anthropic-version echoed. */
function answerHeaders(ctx: RouteContext, served: Record<string, string>): Record<string, string> {
  served['request-id'] = anthropicRequestId(ctx.requestId);
  toAnthropicRateLimitHeaders(served, Date.now());
  const version = ctx.request.headers['anthropic-version'];
  if (version !== undefined && VERSION.test(version)) served['anthropic-version'] = version;
  return served;
}

async function messages(ctx: RouteContext): Promise<HttpResponse> {
  const body = parseJson(await ctx.body());
  // Switchyard's own `switchyard` field is taken off first: it is no Messages API parameter.
  const hints = takeBodyHints(body);
  const { request, stream } = decodeMessagesRequest(body);
  try {
    return await answer(ctx, request, stream, hints);
  } catch (err) {
    throw inDoorTerms(err, body);
  }
}

async function answer(ctx: RouteContext, request: ChatRequest, stream: boolean, hints: BodyHints): Promise<HttpResponse> {
  const options = requestOptions(ctx, 'anthropic-messages', hints);
  // A max_tokens above every deployment's output limit is refused naming max_tokens, not the canonical field.
  options.maxTokensParam = 'max_tokens';
  if (stream) {
    const { parts, servedBy, headers: admitted, cache, warnings, promptEstimate } = await ctx.gateway.stream(request, options);
    ctx.servedBy = servedBy;
    const headers = asStreamHeaders(answerHeaders(ctx, servedHeaders(servedBy, admitted, cache, warnings)), ctx.costOf !== undefined);
    const encoder = new MessagesStreamEncoder(ctx, servedBy, askedOf(request), promptEstimate);
    return { status: 200, headers, body: new SseStream(parts[Symbol.asyncIterator](), encoder, ctx), trailers: encoder.trailers };
  }
  const { response, servedBy, headers: admitted, cache } = await ctx.gateway.chat(request, options);
  ctx.servedBy = servedBy;
  const headers = answerHeaders(ctx, servedHeaders(servedBy, admitted, cache, response.warnings));
  const { usd } = answerCost(ctx, servedBy, response.usage);
  if (usd !== undefined) headers['x-switchyard-cost-usd'] = usd;
  if (response.usageEstimated) headers['x-switchyard-usage-estimated'] = 'true';
  return jsonResponse(200, encodeMessage(response, askedOf(request), ctx.requestId), headers);
}

/**
 * The prompt's input tokens, routed as the Messages request would be: counted by the upstream it would go
 * to where that upstream counts for free (with the headers naming that deployment), else the gateway's
 * estimate (four characters a token, a fixed cost per image), said to be one by `x-switchyard-estimated:
 * true`. Counting is never billed.
 */
async function countTokens(ctx: RouteContext): Promise<HttpResponse> {
  const body = parseJson(await ctx.body());
  const hints = takeBodyHints(body);
  const { request } = decodeMessagesRequest(body, true);
  const { inputTokens, servedBy } = await ctx.gateway.countTokens(request, requestOptions(ctx, 'anthropic-messages', hints)).catch((err: unknown) => {
    throw inDoorTerms(err, body);
  });
  ctx.servedBy = servedBy;
  const headers = servedBy ? servedHeaders(servedBy) : { 'x-switchyard-estimated': 'true', 'x-request-id': ctx.requestId };
  return jsonResponse(200, { input_tokens: inputTokens }, answerHeaders(ctx, headers));
}

/** The Anthropic Messages API. */
export const ANTHROPIC_MESSAGES_ROUTES: readonly Route[] = [
  { method: 'POST', path: '/v1/messages', handle: messages },
  { method: 'POST', path: '/v1/messages/count_tokens', handle: countTokens },
];
