import { GatewayError } from '../../core/errors.js';
import type { HttpResponse } from '../../http/exchange.js';
import { jsonTextResponse, privateJsonResponse } from '../../http/respond.js';
import type { Route, RouteContext } from '../../http/route.js';
import { itemsPage, itemsQuery } from './input-items.js';
import { responseInProgress, responseNotFound, type Conversations } from './store/conversations.js';

/*
 * A caller's stored responses read back and deleted: `GET` and `DELETE /v1/responses/{id}` and
 * `GET /v1/responses/{id}/input_items` (and `POST /v1/responses/{id}/cancel`, which has nothing to cancel). Nothing goes upstream, so only ownership applies: a response is
 * its key's alone, and another key's id answers exactly as a missing one does. A response still
 * streaming is read as OpenAI answers it, `status: "in_progress"`. Answers are `no-store`: no cache in
 * front keeps one caller's conversation for the next.
 */

interface Target {
  conversations: Conversations;
  id: string;
  owner: string;
}

/** The store and the response the path names; with storage off, every id is one the gateway never kept. */
function target(ctx: RouteContext): Target {
  const id = ctx.params.id ?? '';
  const conversations = ctx.conversations();
  if (!conversations) throw responseNotFound(id, true);
  return { conversations, id, owner: ctx.caller.keyId ?? '' };
}

async function retrieveResponse(ctx: RouteContext): Promise<HttpResponse> {
  // The API streams a response again only while a background one runs: the gateway runs none.
  if (ctx.query.get('stream') === 'true') {
    throw new GatewayError({ kind: 'invalid_request', code: 'invalid_value', param: 'stream', message: "Only background responses can be streamed again, and this gateway runs none; retrieve the response without 'stream'." });
  }
  const { conversations, id, owner } = target(ctx);
  const { response } = await conversations.answered(id, owner);
  return jsonTextResponse(200, response, { 'cache-control': 'no-store' });
}

async function deleteResponse(ctx: RouteContext): Promise<HttpResponse> {
  const { conversations, id, owner } = target(ctx);
  await conversations.delete(id, owner);
  return privateJsonResponse(200, { id, object: 'response', deleted: true });
}

async function listInputItems(ctx: RouteContext): Promise<HttpResponse> {
  const query = itemsQuery(ctx.query);
  const { conversations, id, owner } = target(ctx);
  const { inputItems } = await conversations.answered(id, owner);
  // Known from the start, as the API lists them: only a mark an older build began lacks them.
  if (inputItems === undefined) throw responseInProgress(id);
  return privateJsonResponse(200, itemsPage(JSON.parse(inputItems) as Array<Record<string, unknown>>, query));
}

/**
 * `POST /v1/responses/{id}/cancel`: the API cancels background responses only, and the gateway runs
 * none (`background: true` is refused), so a caller's own response, stored or streaming, is a 400
 * saying so; any other id is the 404 of a missing one.
 */
async function cancelResponse(ctx: RouteContext): Promise<HttpResponse> {
  const { conversations, id, owner } = target(ctx);
  await conversations.answered(id, owner);
  throw new GatewayError({ kind: 'invalid_request', code: 'response_not_cancellable', message: 'Only responses created with background=true can be cancelled, and this gateway runs no response in the background.' });
}

/** The stored-response routes, with and without the `/v1` prefix. */
export const STORED_RESPONSE_ROUTES: readonly Route[] = ['/v1', ''].flatMap((prefix): Route[] => [
  { method: 'GET', path: `${prefix}/responses/{id}`, handle: retrieveResponse },
  { method: 'DELETE', path: `${prefix}/responses/{id}`, handle: deleteResponse },
  { method: 'GET', path: `${prefix}/responses/{id}/input_items`, handle: listInputItems },
  { method: 'POST', path: `${prefix}/responses/{id}/cancel`, handle: cancelResponse },
]);
