import { GatewayError } from '../../core/errors.js';
import { isObject } from '../../core/json.js';
import type { ResponseIds } from './encode.js';

/*
 * A request's `input` as `GET /v1/responses/{id}/input_items` lists it: each item in the shape the
 * Responses API gives items back in, with an id and a status. Built from the body the decoder accepted,
 * so only the shapes it takes arrive here, and only their own keys are kept.
 */

type Item = Record<string, unknown>;

const STATUSES = new Set(['in_progress', 'completed', 'incomplete']);
/** A client's own item id (an output item handed back) is kept when a cursor can carry it. */
const CLIENT_ID = /^[A-Za-z0-9_-]{1,128}$/;

function part(p: unknown): Item {
  const q = isObject(p) ? p : {};
  switch (q.type) {
    case 'input_text':
      return { type: 'input_text', text: q.text };
    case 'output_text':
      return { type: 'output_text', text: q.text, annotations: [] };
    case 'refusal':
      return { type: 'refusal', refusal: q.refusal };
    case 'input_image':
      return { type: 'input_image', detail: q.detail ?? 'auto', file_id: null, image_url: q.image_url };
    default: {
      const file: Item = { type: 'input_file' };
      for (const key of ['filename', 'file_data', 'file_url']) if (typeof q[key] === 'string') file[key] = q[key];
      return file;
    }
  }
}

/** A message's content as parts; a string is one part of `textType`. */
function parts(content: unknown, textType: 'input_text' | 'output_text'): Item[] {
  if (typeof content === 'string') return [part({ type: textType, text: content })];
  return Array.isArray(content) ? content.map(part) : [];
}

function summary(s: unknown): Item[] {
  if (!Array.isArray(s)) return [];
  return s.map((p: unknown) => ({ type: 'summary_text', text: isObject(p) ? p.text : p }));
}

/** One item of the input without its id. */
function shaped(raw: Item, status: string): Item & { type: string } {
  switch (raw.type ?? 'message') {
    case 'message':
      return { type: 'message', status, role: raw.role, content: parts(raw.content, raw.role === 'assistant' ? 'output_text' : 'input_text') };
    case 'function_call':
      return { type: 'function_call', status, call_id: raw.call_id, name: raw.name, arguments: raw.arguments };
    case 'function_call_output':
      return { type: 'function_call_output', status, call_id: raw.call_id, output: typeof raw.output === 'string' ? raw.output : parts(raw.output, 'input_text') };
    default: {
      const item: Item & { type: string } = { type: 'reasoning', summary: summary(raw.summary) };
      if (typeof raw.encrypted_content === 'string') item.encrypted_content = raw.encrypted_content;
      return item;
    }
  }
}

const PREFIXES: Readonly<Record<string, 'msg' | 'fc' | 'fco' | 'rs'>> = { message: 'msg', function_call: 'fc', function_call_output: 'fco', reasoning: 'rs' };

/**
 * The items of a Responses `input` (a string is one user message), ids minted by the response's `ids`
 * (before its output's when it streams), so none repeats one of the response's.
 */
export function inputItems(input: unknown, ids: ResponseIds): Item[] {
  const raw: unknown[] = typeof input === 'string' ? [{ role: 'user', content: input }] : Array.isArray(input) ? input : [];
  const seen = new Set<string>();
  return raw.map((r: unknown) => {
    const given = isObject(r) ? r : {};
    const body = shaped(given, typeof given.status === 'string' && STATUSES.has(given.status) ? given.status : 'completed');
    const own = typeof given.id === 'string' && CLIENT_ID.test(given.id) && !seen.has(given.id) ? given.id : undefined;
    const id = own ?? ids.next(PREFIXES[body.type] ?? 'msg');
    seen.add(id);
    return { id, ...body };
  });
}

/** How a client asked for a page of input items. */
export interface ItemsQuery {
  limit: number;
  order: 'asc' | 'desc';
  after: string | undefined;
  before: string | undefined;
  /** `include` asked for input images' URLs (`message.input_image.image_url`). */
  imageUrls: boolean;
  /** `include` asked for reasoning items' `encrypted_content`. */
  encryptedReasoning: boolean;
}

const refused = (param: string, message: string): GatewayError => new GatewayError({ kind: 'invalid_request', code: 'invalid_value', param, message });

/** The list parameters of the query string, checked as the API checks them; a value is never quoted back (a key pasted there would be). */
export function itemsQuery(query: URLSearchParams): ItemsQuery {
  const limit = query.get('limit');
  const n = limit === null ? 20 : Number(limit);
  if (limit !== null && (!/^\d{1,3}$/.test(limit) || n < 1 || n > 100)) throw refused('limit', "Invalid 'limit': expected an integer from 1 to 100.");
  const order = query.get('order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw refused('order', "Invalid 'order': expected 'asc' or 'desc'.");
  const include = [...query.getAll('include'), ...query.getAll('include[]')];
  return {
    limit: n,
    order,
    after: query.get('after') ?? undefined,
    before: query.get('before') ?? undefined,
    imageUrls: include.includes('message.input_image.image_url'),
    encryptedReasoning: include.includes('reasoning.encrypted_content'),
  };
}

/** An item as the client asked to see it: input image URLs and encrypted reasoning only when `include` names them. */
function shown(item: Item, q: ItemsQuery): Item {
  if (item.type === 'reasoning') {
    if (q.encryptedReasoning || item.encrypted_content === undefined) return item;
    const { encrypted_content: _sealed, ...rest } = item;
    return rest;
  }
  const key = item.type === 'message' ? 'content' : item.type === 'function_call_output' ? 'output' : undefined;
  const list = key === undefined || q.imageUrls ? undefined : item[key];
  if (!Array.isArray(list) || !list.some((p: Item) => p.type === 'input_image')) return item;
  return { ...item, [key as string]: list.map((p: Item) => (p.type === 'input_image' ? { ...p, image_url: null } : p)) };
}

/** Where a cursor stands in `items`; a 400 naming the parameter when it is no item's id. */
function cursor(items: readonly Item[], id: string, param: 'after' | 'before'): number {
  const at = items.findIndex((item) => item.id === id);
  if (at < 0) throw refused(param, `Invalid '${param}': no input item of this response has that id.`);
  return at;
}

/**
 * One page of a response's input items, in the order asked for (`desc`: the last item first): the
 * items after `after` and before `before`, at most `limit` of them, those nearest `after` (or, with only
 * `before`, nearest `before`); `has_more` says whether more lie beyond the page.
 */
export function itemsPage(stored: readonly Item[], q: ItemsQuery): { object: 'list'; data: Item[]; first_id: string | null; last_id: string | null; has_more: boolean } {
  const items = q.order === 'asc' ? stored : [...stored].reverse();
  const start = q.after === undefined ? 0 : cursor(items, q.after, 'after') + 1;
  const end = Math.max(start, q.before === undefined ? items.length : cursor(items, q.before, 'before'));
  const fromEnd = q.before !== undefined && q.after === undefined;
  const from = fromEnd ? Math.max(start, end - q.limit) : start;
  const to = fromEnd ? end : Math.min(end, start + q.limit);
  const data = items.slice(from, to).map((item) => shown(item, q));
  const id = (item: Item | undefined): string | null => (typeof item?.id === 'string' ? item.id : null);
  return { object: 'list', data, first_id: id(data[0]), last_id: id(data.at(-1)), has_more: fromEnd ? from > start : to < end };
}
