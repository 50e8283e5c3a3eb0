import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { MAX_REFERENCED_RESPONSES, resolveItemReferences } from './item-references.js';
import { Conversations } from './store/conversations.js';
import { MemoryConversationStore } from './store/memory.js';

const BASE = 'ab'.repeat(16);
const RESPONSE = `resp_${BASE}`;
const ASKED = { id: `msg_${BASE}01`, type: 'message', status: 'completed', role: 'user', content: [{ type: 'input_text', text: 'Hi' }] };
const ANSWER = { id: `msg_${BASE}02`, type: 'message', status: 'incomplete', role: 'assistant', content: [{ type: 'output_text', text: 'Hel', annotations: [], logprobs: [] }] };

function conversations(): Conversations {
  return new Conversations(new MemoryConversationStore({ retentionMs: 3_600_000, maxEntries: 10, maxBytes: 1_000_000 }), silentLogger);
}

const answer = (status: string, output: unknown[]): { response: string; inputItems: string } => ({
  response: JSON.stringify({ id: RESPONSE, object: 'response', status, output }),
  inputItems: JSON.stringify([ASKED]),
});

const body = (...input: unknown[]): Record<string, unknown> => ({ model: 'chat', input });

describe('item references resolved before decoding', () => {
  it('leaves a body without references as it is, reading nothing', async () => {
    const sent = body({ role: 'user', content: 'Hi' });
    expect(await resolveItemReferences(sent, undefined, 'one')).toBe(sent);
  });

  it('refuses references to items of more stored responses than one request may read, before reading past the bound', async () => {
    const store = conversations();
    let reads = 0;
    const answerOf = store.answerOf.bind(store);
    store.answerOf = (...args) => ((reads += 1), answerOf(...args));
    const ids = Array.from({ length: MAX_REFERENCED_RESPONSES + 1 }, (_, n) => `msg_${n.toString(16).padStart(32, '0')}01`);
    // Each an unknown id (the 404) until the bound; the reference past it is refused without a read.
    const refs = ids.map((id) => ({ type: 'item_reference', id }));
    await expect(resolveItemReferences(body(...refs), store, 'one')).rejects.toMatchObject({ status: 404 });
    reads = 0;
    // Now every response is there, each with the item named: the bound alone stops the request.
    store.answerOf = async (id) => ((reads += 1), { response: JSON.stringify({ id, status: 'completed', output: [] }), inputItems: JSON.stringify([{ ...ASKED, id: `msg_${id.slice(5)}01` }]) });
    await expect(resolveItemReferences(body(...refs), store, 'one')).rejects.toMatchObject({ status: 400, param: 'input', message: `Item references may name items of at most ${MAX_REFERENCED_RESPONSES} stored responses in one request.` });
    expect(reads).toBe(MAX_REFERENCED_RESPONSES);
  });

  it("takes a streaming response's input items, known from the start, and refuses its output as still in progress", async () => {
    const store = conversations();
    await store.begin(RESPONSE, 'one', answer('in_progress', []));
    expect(await resolveItemReferences(body({ type: 'item_reference', id: ASKED.id }), store, 'one')).toEqual(body(ASKED));
    await expect(resolveItemReferences(body({ type: 'item_reference', id: ANSWER.id }), store, 'one')).rejects.toMatchObject({
      status: 400,
      code: 'response_in_progress',
      param: 'input',
      message: `Item with id '${ANSWER.id}' belongs to a response still in progress; refer to it once that response has completed.`,
    });
  });

  it("refuses the output of a response whose stream failed, and takes its input items", async () => {
    const store = conversations();
    await store.begin(RESPONSE, 'one', answer('in_progress', []));
    await store.fail(RESPONSE, 'one', answer('failed', [ANSWER]));
    await expect(resolveItemReferences(body({ id: ANSWER.id }), store, 'one')).rejects.toMatchObject({ status: 400, code: 'response_failed', param: 'input' });
    expect(await resolveItemReferences(body({ id: ASKED.id }), store, 'one')).toEqual(body(ASKED));
  });

  it('checks a reference as the API checks an item: no other member, and a string id', async () => {
    const store = conversations();
    await expect(resolveItemReferences(body({ type: 'item_reference', id: ASKED.id, role: 'user' }), store, 'one')).rejects.toMatchObject({ status: 400, code: 'unknown_parameter', param: 'input[0].role' });
    await expect(resolveItemReferences(body({ type: 'item_reference', id: 7 }), store, 'one')).rejects.toMatchObject({ status: 400, param: 'input[0].id' });
  });
});
