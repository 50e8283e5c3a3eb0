import { GatewayError } from '../../core/errors.js';
import { isObject } from '../../core/json.js';
import { missingParameter } from '../openai-chat/check.js';
import { sealedReasoning } from './encode.js';
import { bad, checkMembers } from './members.js';
import type { Conversations } from './store/conversations.js';

/*
 * Input items that refer to an earlier item by id (`{"type": "item_reference", "id": ...}`, or the
 * SDK's type-less `{"id": ...}`), resolved against the caller's own stored responses before the request
 * is decoded: each becomes the stored item's JSON, as if the client had sent it inline, so the decoder
 * stays synchronous and the new response lists it under its own id. An item's id is its response's
 * (`ResponseIds`) plus a counter, so the response holding it is found from the id alone: its output
 * items, then its input items (listed by `GET /v1/responses/{id}/input_items`).
 */

type Item = Record<string, unknown>;

/** The ids `ResponseIds` gives items: a prefix, the response's 32 hex digits, a counter of 2 or more. */
const ITEM_ID = /^(?:msg|fc|fco|rs)_([0-9a-f]{32})[0-9a-f]{2,}$/;

/** How a message names item `id`: quoted only when it has our ids' shape (a key pasted in its place must not come back). */
const named = (id: string): string => (ITEM_ID.test(id) ? `with id '${id}'` : 'with that id');

/** OpenAI's answer for an item it does not have (unknown, another key's, deleted, expired): a 404 naming `input`, no code. */
function itemNotFound(id: string): GatewayError {
  return new GatewayError({ kind: 'invalid_request', status: 404, param: 'input', message: `Item ${named(id)} not found.` });
}

/** An item of a response still streaming that is not known yet: its output is kept once it has completed. */
function itemInProgress(id: string): GatewayError {
  return new GatewayError({ kind: 'invalid_request', code: 'response_in_progress', param: 'input', message: `Item ${named(id)} belongs to a response still in progress; refer to it once that response has completed.` });
}

/** An output item of a response whose stream failed: left unfinished, as `previous_response_id` refuses it. */
function itemOfFailedResponse(id: string): GatewayError {
  return new GatewayError({ kind: 'invalid_request', code: 'response_failed', param: 'input', message: `Item ${named(id)} is output of a response that failed; send the item itself as input instead.` });
}

/** The refusal of a reference where nothing is stored: as for any unsupported item, saying why. */
function storageDisabled(param: string): GatewayError {
  return bad(
    param,
    "Input items of type 'item_reference' are not supported by this gateway, whose response storage is disabled (responses.store.enabled): an item reference names an item of a stored response. Send the item itself instead.",
    'unsupported_item',
  );
}

/** An item reference: typed, or the SDK's type-less form (only `id`, perhaps `type: null`). */
function isReference(item: unknown): item is Item {
  if (!isObject(item)) return false;
  if (item.type === 'item_reference') return true;
  return (item.type === undefined || item.type === null) && 'id' in item && Object.keys(item).every((k) => k === 'id' || k === 'type');
}

/** The id a reference at `p` names, checked as the API checks it. */
function referencedId(item: Item, p: string): string {
  checkMembers(item, p, 'item:item_reference');
  if (item.id === undefined || item.id === null) throw missingParameter(`${p}.id`);
  if (typeof item.id !== 'string') throw bad(`${p}.id`, `'${p}.id' must be a string.`);
  return item.id;
}

/** One stored response's items, read once however many references name it. */
interface Holder {
  status: string;
  output: Item[];
  inputItems: Item[];
  /** The encrypted content of its reasoning items, from its conversation, read only when one needs it. */
  sealed?: Promise<string[]>;
}

/** A stored JSON text read back; undefined when there is none or it cannot be read (nothing in it is then found). */
function parsed(json: string | undefined): unknown {
  if (json === undefined) return undefined;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
}

const objects = (v: unknown): Item[] => (Array.isArray(v) ? v.filter(isObject) : []);

/** Response `id` as stored for `owner`, or undefined when it is not there for them. */
async function holderOf(conversations: Conversations, id: string, owner: string): Promise<Holder | undefined> {
  const answer = await conversations.answerOf(id, owner);
  if (answer === undefined) return undefined;
  const response = parsed(answer.response);
  const status = 'inProgress' in answer ? 'in_progress' : isObject(response) && response.status === 'failed' ? 'failed' : 'completed';
  return { status, output: objects(isObject(response) ? response.output : undefined), inputItems: objects(parsed(answer.inputItems)) };
}

/**
 * A reasoning item as the store has it; one whose Response kept no encrypted content (not asked for)
 * gets it from the stored conversation, which holds the signature: the door's reasoning handling then
 * hands it to the provider that wrote it and to nobody else.
 */
async function withSignature(item: Item, holder: Holder, conversations: Conversations, responseId: string, owner: string): Promise<Item> {
  if (typeof item.encrypted_content === 'string') return item;
  holder.sealed ??= conversations.messagesOf(responseId, owner).then((messages) => {
    const answer = messages?.at(-1);
    return answer?.role === 'assistant' ? sealedReasoning(answer.content) : [];
  });
  const sealed = (await holder.sealed)[holder.output.filter((o) => o.type === 'reasoning').indexOf(item)];
  return sealed === undefined ? item : { ...item, encrypted_content: sealed };
}

/**
 * The most stored responses one request's references may name: each is a read of the store (a query
 * of the ledger database), so a body of references to distinct ids must not turn into thousands.
 */
export const MAX_REFERENCED_RESPONSES = 100;

/** Resolves each reference in turn, reading each response it names once. */
class Resolver {
  private readonly holders = new Map<string, Promise<Holder | undefined>>();

  constructor(
    private readonly conversations: Conversations,
    private readonly owner: string,
  ) {}

  async resolve(id: string): Promise<Item> {
    const match = ITEM_ID.exec(id);
    if (!match) throw itemNotFound(id);
    const responseId = `resp_${match[1] ?? ''}`;
    let holding = this.holders.get(responseId);
    if (!holding) {
      if (this.holders.size >= MAX_REFERENCED_RESPONSES) throw bad('input', `Item references may name items of at most ${MAX_REFERENCED_RESPONSES} stored responses in one request.`);
      this.holders.set(responseId, (holding = holderOf(this.conversations, responseId, this.owner)));
    }
    const holder = await holding;
    if (!holder) throw itemNotFound(id);
    const output = holder.output.find((o) => o.id === id);
    if (output) {
      if (holder.status === 'failed') throw itemOfFailedResponse(id);
      return output.type === 'reasoning' ? withSignature(output, holder, this.conversations, responseId, this.owner) : output;
    }
    const input = holder.inputItems.find((o) => o.id === id);
    if (input) return input;
    throw holder.status === 'in_progress' ? itemInProgress(id) : itemNotFound(id);
  }
}

/**
 * The body with each item reference of its `input` replaced by the item it names, from the caller's
 * own stored responses; the body itself when it has none. A reference with storage off is refused.
 */
export async function resolveItemReferences(body: unknown, conversations: Conversations | undefined, owner: string): Promise<unknown> {
  if (!isObject(body) || !Array.isArray(body.input) || !body.input.some(isReference)) return body;
  const resolver = conversations && new Resolver(conversations, owner);
  const input: unknown[] = [];
  for (const [i, item] of body.input.entries()) {
    if (!isReference(item)) {
      input.push(item);
      continue;
    }
    const p = `input[${i}]`;
    if (!resolver) throw storageDisabled(item.type === 'item_reference' ? `${p}.type` : p);
    input.push(await resolver.resolve(referencedId(item, p)));
  }
  return { ...body, input };
}
