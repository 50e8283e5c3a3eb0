import { GatewayError } from '../../core/errors.js';
import { echoed } from '../../core/json.js';
import type { HttpRequest, HttpResponse } from '../../http/exchange.js';
import { jsonResponse } from '../../http/respond.js';
import type { RouteContext } from '../../http/route.js';
import { anthropicRequestId } from './errors.js';
import { acceptedVersion } from './routes.js';

/*
 * `GET /v1/models` and `/v1/models/{id}` as Anthropic's Models API answers them, for a request that
 * carries `anthropic-version` (Anthropic's SDK and Claude Code always send it, OpenAI's SDK never does):
 * the routes are the OpenAI door's, which hands such a request here. The models are the same ones the
 * OpenAI shape lists, the calling key's (`Access.models`), in the same order. Every refusal of such a
 * request, these routes' own and the handler's before they run (a bad key, a 405), is in Anthropic's
 * shape: the routes name the Messages door as their `errorDoor` for it.
 */

/** True when the request is Anthropic's: it carries `anthropic-version`, which only Anthropic's clients send. */
export function asksAnthropic(request: HttpRequest): boolean {
  return request.headers['anthropic-version'] !== undefined;
}

/** The request's accepted version, or the Messages API's 400 for it, as on `/v1/messages`. */
function versionOf(ctx: RouteContext): string {
  // Asked only of a request that carries the header (`asksAnthropic`).
  return acceptedVersion(ctx.request.headers) ?? '';
}

/** The release date of a model the gateway knows none of: the epoch, as Anthropic's `ModelInfo` says it may be. */
const UNKNOWN_DATE = '1970-01-01T00:00:00Z';

/**
 * A `ModelInfo`: the documented `type`, `id`, `display_name` and `created_at` first, then the members
 * @anthropic-ai/sdk 1.x declares required, null where the gateway cannot know them (a group's deployments
 * may differ in limits and capabilities); served means `active`.
 */
function modelInfo(id: string): Record<string, unknown> {
  return {
    type: 'model',
    id,
    display_name: id,
    created_at: UNKNOWN_DATE,
    capabilities: null,
    deprecated_at: null,
    lifecycle: 'active',
    line: null,
    max_input_tokens: null,
    max_tokens: null,
    retires_at: null,
  };
}

/** Anthropic's answer headers: its `request-id`, and the version the request was answered under. */
function answerHeaders(ctx: RouteContext, version: string): Record<string, string> {
  return { 'x-request-id': ctx.requestId, 'request-id': anthropicRequestId(ctx.requestId), 'anthropic-version': version };
}

const LIMIT = { default: 20, min: 1, max: 1000 } as const;

/** `limit`: an integer from 1 to 1000, 20 when absent; refused in the API's (pydantic's) words. */
function limitOf(raw: string | null): number {
  if (raw === null) return LIMIT.default;
  if (!/^[+-]?\d{1,9}$/.test(raw.trim())) throw new GatewayError({ kind: 'invalid_request', message: 'limit: Input should be a valid integer, unable to parse string as an integer', param: 'limit' });
  const limit = Number(raw);
  if (limit < LIMIT.min) throw new GatewayError({ kind: 'invalid_request', message: `limit: Input should be greater than or equal to ${LIMIT.min}`, param: 'limit' });
  if (limit > LIMIT.max) throw new GatewayError({ kind: 'invalid_request', message: `limit: Input should be less than or equal to ${LIMIT.max}`, param: 'limit' });
  return limit;
}

const LIFECYCLES: ReadonlySet<string> = new Set(['active', 'deprecated', 'retired']);

/**
 * Whether the `lifecycle` filter (the SDK writes `lifecycle[]=…`) keeps the gateway's models, all of them
 * `active`: absent, the API lists active and deprecated ones.
 */
function listsActive(query: URLSearchParams): boolean {
  const asked = [...query.getAll('lifecycle[]'), ...query.getAll('lifecycle')];
  for (const stage of asked) {
    if (!LIFECYCLES.has(stage)) throw new GatewayError({ kind: 'invalid_request', message: `lifecycle: Input should be 'active', 'deprecated' or 'retired'`, param: 'lifecycle' });
  }
  return asked.length === 0 || asked.includes('active');
}

/**
 * Where a cursor stands in the key's list. An id the list does not hold places no page: a 400 naming the
 * cursor, rather than an empty page that would end the client's iteration as if the list were done.
 */
function cursorAt(ids: readonly string[], cursor: string, param: 'after_id' | 'before_id'): number {
  const at = ids.indexOf(cursor);
  if (at === -1) throw new GatewayError({ kind: 'invalid_request', message: `${param}: no model '${echoed(cursor, 64)}' in this list`, param });
  return at;
}

/**
 * Anthropic's list: `{data, has_more, first_id, last_id}`, a page of at most `limit` models after
 * `after_id`, before `before_id` (the page just before it, which the SDK walks backwards by `first_id`),
 * or from the start; `has_more` says whether more lie on the side the page was taken towards.
 */
export async function anthropicModels(ctx: RouteContext): Promise<HttpResponse> {
  const version = versionOf(ctx);
  const query = ctx.query;
  const limit = limitOf(query.get('limit'));
  const after = query.get('after_id');
  const before = query.get('before_id');
  if (after !== null && before !== null) throw new GatewayError({ kind: 'invalid_request', message: 'after_id and before_id cannot both be given', param: 'before_id' });
  const all = ctx.caller.access.models;
  const afterAt = after === null ? undefined : cursorAt(all, after, 'after_id');
  const beforeAt = before === null ? undefined : cursorAt(all, before, 'before_id');
  const ids = listsActive(query) ? all : [];
  let from: number;
  let to: number;
  let hasMore: boolean;
  if (beforeAt !== undefined) {
    to = Math.min(beforeAt, ids.length);
    from = Math.max(0, to - limit);
    hasMore = from > 0;
  } else {
    from = afterAt === undefined ? 0 : afterAt + 1;
    to = Math.min(ids.length, from + limit);
    hasMore = to < ids.length;
  }
  const page = ids.slice(from, to);
  return jsonResponse(200, { data: page.map(modelInfo), has_more: hasMore, first_id: page[0] ?? null, last_id: page.at(-1) ?? null }, answerHeaders(ctx, version));
}

/** Anthropic's `ModelInfo` of one model the key may use; any other id is the API's 404 `not_found_error`. */
export async function anthropicModel(ctx: RouteContext): Promise<HttpResponse> {
  const version = versionOf(ctx);
  const id = ctx.params.model ?? '';
  if (!ctx.caller.access.models.includes(id)) throw new GatewayError({ kind: 'not_found', message: `model: ${echoed(id, 64)}`, param: 'model', code: 'model_not_found' });
  return jsonResponse(200, modelInfo(id), answerHeaders(ctx, version));
}
