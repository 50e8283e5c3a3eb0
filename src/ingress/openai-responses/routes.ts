import { GatewayError } from '../../core/errors.js';
import { echoed } from '../../core/json.js';
import type { RequestOptions } from '../../gateway/gateway.js';
import type { ChatRequest, Message } from '../../core/types.js';
import { parseJson } from '../../http/body.js';
import type { HttpResponse } from '../../http/exchange.js';
import { jsonTextResponse } from '../../http/respond.js';
import type { Route, RouteContext } from '../../http/route.js';
import { SseStream } from '../../http/sse.js';
import { takeBodyHints } from '../body-hints.js';
import { asStreamHeaders, requestOptions, servedHeaders } from '../gateway-headers.js';
import { answerCost, wantsExtensions } from '../extras.js';
import { decodeResponsesRequest, type ResponsesRequest } from './decode.js';
import { answerTurn } from './answer.js';
import { inDoorTerms } from './param-path.js';
import { checkCallOutputs } from './call-outputs.js';
import { inputItems } from './input-items.js';
import { resolveItemReferences } from './item-references.js';
import { encodeResponsesUsage, inProgressObject, outputItems, ResponseIds, responseObject, statusOf, type ReasoningShown, type ResponseFrame } from './encode.js';
import type { Conversations } from './store/conversations.js';
import { STORED_RESPONSE_ROUTES } from './stored-routes.js';
import { ResponsesStreamEncoder, storageListener } from './stream.js';

/**
 * The conversation before the answer: a stored one continued, then this request's input. A stored
 * conversation holds `options` to the residency it was made under.
 */
async function conversation(req: ResponsesRequest, conversations: Conversations | undefined, owner: string, options: RequestOptions): Promise<Message[]> {
  if (req.previousResponseId === undefined) return req.input;
  if (!conversations) {
    throw new GatewayError({
      kind: 'invalid_request',
      code: 'response_storage_disabled',
      param: 'previous_response_id',
      message: "'previous_response_id' needs stored responses, and response storage is disabled on this gateway (responses.store.enabled).",
    });
  }
  const stored = await conversations.history(req.previousResponseId, owner);
  holdToResidency(options, stored.residency);
  return [...stored.messages, ...req.input];
}

/**
 * Turns made under a residency never leave it: a continuation that names none goes on under it (the
 * header that bound the first turn is not needed again), and one that names another is refused.
 */
function holdToResidency(options: RequestOptions, residency: string | undefined): void {
  if (residency === undefined || options.residency === residency) return;
  if (options.residency === undefined) {
    options.residency = residency;
    return;
  }
  throw new GatewayError({
    kind: 'residency_violation',
    code: 'residency_violation',
    param: 'previous_response_id',
    message: `The previous response was made under the residency '${echoed(residency, 64)}'; continue it under that residency, not '${echoed(options.residency, 64)}'.`,
  });
}

/** What a streamed response is made of, beside the request: its frame and ids, and where it is kept. */
interface StreamMaking {
  frame: ResponseFrame;
  ids: ResponseIds;
  keep: Conversations | undefined;
  owner: string;
  history: Message[];
  input: unknown;
  body: unknown;
  shown: ReasoningShown;
  storedMessages: number;
}

/**
 * A streamed response. One to be kept is marked under way in the store before its first event (which
 * names its id): a read from then on finds it in progress, a DELETE finds it, and its save at the end
 * keeps nothing once deleted.
 */
async function streamResponse(ctx: RouteContext, chat: ChatRequest, options: RequestOptions, m: StreamMaking): Promise<HttpResponse> {
  const { parts, servedBy, headers: admitted, cache, warnings } = await ctx.gateway.stream(chat, options);
  ctx.servedBy = servedBy;
  const headers = asStreamHeaders(servedHeaders(servedBy, admitted, cache, warnings), ctx.costOf !== undefined);
  const { keep } = m;
  // Not marked (the store failed, logged): not stored either, as a save that fails is not.
  const begun = keep && { response: JSON.stringify(inProgressObject(m.frame)), inputItems: JSON.stringify(inputItems(m.input, m.ids)) };
  const storage = keep && begun && (await keep.begin(m.ids.response, m.owner, begun)) ? { conversations: keep, owner: m.owner, messages: m.history, residency: options.residency, inputItems: begun.inputItems } : undefined;
  const encoder = new ResponsesStreamEncoder(ctx, servedBy, m.frame, m.ids, storage, m.shown, m.body, m.storedMessages);
  const listener = storage ? storageListener(ctx, storage, m.ids.response, encoder) : ctx;
  return { status: 200, headers, body: new SseStream(parts[Symbol.asyncIterator](), encoder, listener), trailers: encoder.trailers };
}

async function createResponse(ctx: RouteContext): Promise<HttpResponse> {
  const sent = parseJson(await ctx.body());
  // Switchyard's own `switchyard` field is taken off first: it is no Responses API parameter.
  const hints = takeBodyHints(sent);
  const conversations = ctx.conversations();
  const owner = ctx.caller.keyId ?? '';
  // From here on the body has the items its item references name in their place, as if sent inline.
  const body = await resolveItemReferences(sent, conversations, owner);
  const req = decodeResponsesRequest(body);
  const options = requestOptions(ctx, 'openai-responses', hints);
  const history = await conversation(req, conversations, owner, options);
  checkCallOutputs(history);
  // Instructions apply to this response only: a later one continuing it does not inherit them. Not
  // `{ ...req.chat, messages }`: on Node 20 that makes every request a hidden class of its own.
  const chat: ChatRequest = Object.assign({}, req.chat, { messages: req.instructions ? [req.instructions, ...history] : history });
  const keep = req.store && conversations !== undefined ? conversations : undefined;
  // As the client wrote it: its input items are listed back in the API's own item shapes.
  const input = (body as { input?: unknown }).input;
  const ids = new ResponseIds(ctx.requestId);
  const frame: ResponseFrame = { id: ids.response, createdAt: Math.floor(Date.now() / 1000), model: req.model, echo: req.echo, stored: keep !== undefined };

  // A refusal from below (the router, an upstream's dialect) names the canonical request's place; the
  // client hears the place in its own body, found only then.
  const storedMessages = history.length - req.input.length;
  try {
    if (req.stream) return await streamResponse(ctx, chat, options, { frame, ids, keep, owner, history, input, body, shown: req.reasoningShown, storedMessages });

    const { response, servedBy, headers: admitted, cache } = await ctx.gateway.chat(chat, options);
    ctx.servedBy = servedBy;
    const headers = servedHeaders(servedBy, admitted, cache, response.warnings);
    const cost = answerCost(ctx, servedBy, response.usage, { extras: wantsExtensions(ctx, servedBy), estimated: response.usageEstimated });
    if (cost.usd !== undefined) headers['x-switchyard-cost-usd'] = cost.usd;
    const output = outputItems(response, ids, req.reasoningShown);
    if (response.usageEstimated) headers['x-switchyard-usage-estimated'] = 'true';
    const usage = encodeResponsesUsage(response.usage, cost.extension);
    const answer = JSON.stringify(responseObject(frame, statusOf(response.finishReason), output, usage));
    if (keep) {
      const messages = [...history, answerTurn(response.content, response.refusal)];
      const items = JSON.stringify(inputItems(input, ids));
      await keep.save(ids.response, owner, { messages, residency: options.residency, response: answer, inputItems: items });
    }
    return jsonTextResponse(200, answer, headers);
  } catch (err) {
    throw inDoorTerms(err, body, storedMessages);
  }
}

/** The OpenAI Responses API, with and without the `/v1` prefix. */
export const OPENAI_RESPONSES_ROUTES: readonly Route[] = [
  { method: 'POST', path: '/v1/responses', handle: createResponse },
  { method: 'POST', path: '/responses', handle: createResponse },
  ...STORED_RESPONSE_ROUTES,
];
