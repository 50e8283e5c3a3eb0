import { describe, expect, it } from 'vitest';
import { thrown } from '../../testing/thrown.js';
import { ResponseIds } from './encode.js';
import { inputItems, itemsPage, itemsQuery } from './input-items.js';

const ids = (): ResponseIds => new ResponseIds('00000000-0000-0000-0000-00000000000a');
const query = (q: string): ReturnType<typeof itemsQuery> => itemsQuery(new URLSearchParams(q));
/** Items `a`..`e` as a store gives them back. */
const FIVE = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, type: 'message', role: 'user', content: [{ type: 'input_text', text: id }] }));
const idsOf = (page: { data: Array<Record<string, unknown>> }): unknown[] => page.data.map((i) => i.id);

describe("a request's input as input items", () => {
  it('lists a string input as one user message', () => {
    expect(inputItems('Hi', ids())).toEqual([{ id: 'msg_0000000000000000000000000000000a01', type: 'message', status: 'completed', role: 'user', content: [{ type: 'input_text', text: 'Hi' }] }]);
  });

  it("keeps a handed-back item's own id once, mints the rest, and keeps only the keys of each item's shape", () => {
    const items = inputItems(
      [
        { id: 'rs_1', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Hm.' }], encrypted_content: 'swy1.x', extra: 1 },
        { id: 'rs_1', type: 'message', role: 'assistant', content: 'Yes.', status: 'incomplete' },
        { id: 'not an id', type: 'function_call_output', call_id: 'c1', output: [{ type: 'input_text', text: 'ok', junk: true }] },
      ],
      ids(),
    );
    expect(items).toEqual([
      { id: 'rs_1', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Hm.' }], encrypted_content: 'swy1.x' },
      { id: 'msg_0000000000000000000000000000000a01', type: 'message', status: 'incomplete', role: 'assistant', content: [{ type: 'output_text', text: 'Yes.', annotations: [] }] },
      { id: 'fco_0000000000000000000000000000000a02', type: 'function_call_output', status: 'completed', call_id: 'c1', output: [{ type: 'input_text', text: 'ok' }] },
    ]);
  });

  it("shows a reasoning item's encrypted content only when include asks for it", () => {
    const stored = inputItems([{ type: 'reasoning', summary: [], encrypted_content: 'swy1.x' }], ids());
    expect(itemsPage(stored, query('')).data[0]).not.toHaveProperty('encrypted_content');
    expect(itemsPage(stored, query('include[]=reasoning.encrypted_content')).data[0]).toHaveProperty('encrypted_content', 'swy1.x');
  });
});

describe('a page of input items', () => {
  it('is the newest first by default, at most 20', () => {
    const page = itemsPage(FIVE, query(''));
    expect([idsOf(page), page.first_id, page.last_id, page.has_more]).toEqual([['e', 'd', 'c', 'b', 'a'], 'e', 'a', false]);
  });

  it('goes on after a cursor in the order asked for, saying whether more follow', () => {
    expect(itemsPage(FIVE, query('order=asc&limit=2&after=b'))).toMatchObject({ data: [{ id: 'c' }, { id: 'd' }], has_more: true });
    expect(itemsPage(FIVE, query('limit=2&after=b'))).toMatchObject({ data: [{ id: 'a' }], has_more: false });
  });

  it('ends just before a `before` cursor, nearest it first in line, and is empty between two adjacent cursors', () => {
    expect(itemsPage(FIVE, query('order=asc&limit=2&before=d'))).toMatchObject({ data: [{ id: 'b' }, { id: 'c' }], has_more: true });
    expect(itemsPage(FIVE, query('order=asc&after=a&before=d'))).toMatchObject({ data: [{ id: 'b' }, { id: 'c' }], has_more: false });
    expect(itemsPage(FIVE, query('order=asc&after=c&before=d'))).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: false });
  });

  it('refuses a limit outside 1..100, another order or an unknown cursor, quoting none of them', () => {
    for (const limit of ['0', '101', '1.5', '', 'ten', '1e2']) expect(thrown(() => query(`limit=${limit}`))).toMatchObject({ status: 400, param: 'limit' });
    expect(thrown(() => query('order=random'))).toMatchObject({ status: 400, param: 'order' });
    const unknown = thrown(() => itemsPage(FIVE, query('after=sk-secret-key')));
    expect(unknown).toMatchObject({ status: 400, param: 'after' });
    expect((unknown as Error).message).not.toContain('sk-secret');
  });
});
