import { GatewayError } from '../../core/errors.js';
import { parseJson } from '../../http/body.js';
import type { HttpRequest, HttpResponse } from '../../http/exchange.js';
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

/**
 * The `anthropic-version`s the Messages API documents (its versioning page): 2023-01-01, 2023-06-01 (the
 * long-standing one) and 2026-10-21 (what @anthropic-ai/sdk 1.x sends). The API refuses any other with a
 * 400 `invalid_request_error`; so does the door, before reading the body, so a client learns of a
 * mistyped version here rather than from the first upstream that checks. The API also refuses a request
 * without the header; the door takes one (every SDK sends it; a hand-written client that left it out kept
 * working when the door began checking versions), and echoes none. A date after the newest is taken as
 * a version newer than this build knows, which the next SDK may send before the gateway is upgraded.
 */
export const ANTHROPIC_VERSIONS: ReadonlySet<string> = new Set(['2023-01-01', '2023-06-01', '2026-10-21']);
const NEWEST_VERSION = '2026-10-21';
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function knownOrNewer(version: string): boolean {
  if (ANTHROPIC_VERSIONS.has(version)) return true;
  // A calendar date (2027-02-30 is none), later than the newest documented.
  if (!DATE.test(version) || version <= NEWEST_VERSION) return false;
  const day = new Date(`${version}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().startsWith(version);
}

/**
 * What a refused version's message may quote, as the API quotes it: a version's shape (a header sent twice
 * arrives joined, `2023-06-01, 2023-06-01`), never a long or odd value such as a key pasted there.
 */
const QUOTABLE = /^[A-Za-z0-9._, -]{1,64}$/;

/** The request's `anthropic-version` when the API knows it, undefined when none was sent; else the API's 400, in its words. */
export function acceptedVersion(headers: HttpRequest['headers']): string | undefined {
  const version = headers['anthropic-version'];
  if (version === undefined || knownOrNewer(version)) return version;
  const message = QUOTABLE.test(version) ? `anthropic-version: "${version}" is not a valid version` : 'anthropic-version: not a valid version';
  throw new GatewayError({ kind: 'invalid_request', message, param: 'anthropic-version', code: 'invalid_anthropic_version' });
}

/** Headers every answer of this door carries: who served it, Anthropic's `request-id`, and the accepted anthropic-version echoed. */
function answerHeaders(ctx: RouteContext, served: Record<string, string>, version: string | undefined): Record<string, string> {
  served['request-id'] = anthropicRequestId(ctx.requestId);
  toAnthropicRateLimitHeaders(served, Date.now());
  if (version !== undefined) served['anthropic-version'] = version;
  return served;
}

async function messages(ctx: RouteContext): Promise<HttpResponse> {
  const version = acceptedVersion(ctx.request.headers);
  const body = parseJson(await ctx.body());
  // Switchyard's own `switchyard` field is taken off first: it is no Messages API parameter.
  const hints = takeBodyHints(body);
  const { request, stream } = decodeMessagesRequest(body, false, version);
  try {
    return await answer(ctx, request, stream, hints, version);
  } catch (err) {
    throw inDoorTerms(err, body);
  }
}

async function answer(ctx: RouteContext, request: ChatRequest, stream: boolean, hints: BodyHints, version: string | undefined): Promise<HttpResponse> {
  const options = requestOptions(ctx, 'anthropic-messages', hints);
  // A max_tokens above every deployment's output limit is refused naming max_tokens, not the canonical field.
  options.maxTokensParam = 'max_tokens';
  if (stream) {
    const { parts, servedBy, headers: admitted, cache, warnings, promptEstimate } = await ctx.gateway.stream(request, options);
    ctx.servedBy = servedBy;
    const headers = asStreamHeaders(answerHeaders(ctx, servedHeaders(servedBy, admitted, cache, warnings), version), ctx.costOf !== undefined);
    const encoder = new MessagesStreamEncoder(ctx, servedBy, askedOf(request), promptEstimate);
    return { status: 200, headers, body: new SseStream(parts[Symbol.asyncIterator](), encoder, ctx), trailers: encoder.trailers };
  }
  const { response, servedBy, headers: admitted, cache } = await ctx.gateway.chat(request, options);
  ctx.servedBy = servedBy;
  const headers = answerHeaders(ctx, servedHeaders(servedBy, admitted, cache, response.warnings), version);
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
  const version = acceptedVersion(ctx.request.headers);
  const body = parseJson(await ctx.body());
  const hints = takeBodyHints(body);
  const { request } = decodeMessagesRequest(body, true);
  const { inputTokens, servedBy } = await ctx.gateway.countTokens(request, requestOptions(ctx, 'anthropic-messages', hints)).catch((err: unknown) => {
    throw inDoorTerms(err, body);
  });
  ctx.servedBy = servedBy;
  const headers = servedBy ? servedHeaders(servedBy) : { 'x-switchyard-estimated': 'true', 'x-request-id': ctx.requestId };
  return jsonResponse(200, { input_tokens: inputTokens }, answerHeaders(ctx, headers, version));
}

/** The Anthropic Messages API. */
export const ANTHROPIC_MESSAGES_ROUTES: readonly Route[] = [
  { method: 'POST', path: '/v1/messages', handle: messages },
  { method: 'POST', path: '/v1/messages/count_tokens', handle: countTokens },
];
