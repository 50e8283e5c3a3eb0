import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../core/errors.js';
import { silentLogger } from '../../../core/logger.js';
import type { Message } from '../../../core/types.js';
import { migrate } from '../../../ledger/store/migrations.js';
import { openSqlite } from '../../../ledger/store/sqlite-driver.js';
import { Conversations } from './conversations.js';
import { SqlConversationStore } from './sql.js';
import { storedMessages } from './stored.js';

/** A conversation as a Switchyard before the canonical model stored it (OpenAI chat messages). */
const LEGACY = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AA', detail: 'low' } }] },
  { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'look', arguments: '{}' } }] },
  { role: 'tool', tool_call_id: 'c1', content: 'a cat' },
  { role: 'assistant', content: 'A cat.' },
];

const CANONICAL: Message[] = [
  { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
  { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', source: { type: 'base64', mediaType: 'image/png', data: 'AA' }, detail: 'low' }] },
  { role: 'assistant', content: [{ type: 'tool-call', id: 'c1', name: 'look', arguments: '{}' }] },
  { role: 'tool', toolCallId: 'c1', content: [{ type: 'text', text: 'a cat' }] },
  { role: 'assistant', content: [{ type: 'text', text: 'A cat.' }] },
];

function refusal(stored: unknown): { status: number; code: string; param: string | undefined } | string {
  try {
    storedMessages(stored, 'resp_1');
    return 'read';
  } catch (err) {
    return GatewayError.isInstance(err) ? { status: err.status, code: err.code, param: err.param } : 'not a GatewayError';
  }
}

describe('stored conversations read back', () => {
  it('keeps canonical messages, reasoning and all, as they are', () => {
    const reasoned: Message[] = [...CANONICAL, { role: 'assistant', content: [{ type: 'reasoning', text: 'Hm.', signature: 's', provider: 'anthropic' }, { type: 'text', text: 'Yes.' }] }];
    expect(storedMessages(reasoned, 'resp_1')).toEqual(reasoned);
  });

  it('converts the OpenAI chat messages an older gateway stored', () => {
    expect(storedMessages(LEGACY, 'resp_1')).toEqual(CANONICAL);
  });

  it('refuses what it cannot read with a 400 naming previous_response_id', () => {
    const unreadable = { status: 400, code: 'previous_response_unreadable', param: 'previous_response_id' };
    expect(refusal({ messages: [] })).toEqual(unreadable);
    expect(refusal([{ role: 'narrator', content: 'Once upon a time' }])).toEqual(unreadable);
    expect(refusal([{ role: 'user', content: [{ type: 'input_audio' }] }])).toEqual(unreadable);
  });

  it('continues a conversation an older gateway left in the SQL store', async () => {
    const driver = openSqlite(':memory:');
    await migrate(driver);
    const now = Date.now();
    await driver.insertRows(driver.table('responses'), ['id', 'owner', 'created_at', 'expires_at', 'messages'], 'id', [['resp_old', 'k', now, now + 60_000, JSON.stringify(LEGACY)]]);
    const conversations = new Conversations(new SqlConversationStore(driver, 60_000), silentLogger);
    expect(await conversations.history('resp_old', 'k')).toEqual({ messages: CANONICAL, residency: undefined });
    await driver.close();
  });

  it('answers a retrieve of a row an older gateway stored without its answer as not found, and still deletes it', async () => {
    const driver = openSqlite(':memory:');
    await migrate(driver);
    const now = Date.now();
    await driver.insertRows(driver.table('responses'), ['id', 'owner', 'created_at', 'expires_at', 'messages'], 'id', [['resp_old', 'k', now, now + 60_000, JSON.stringify(CANONICAL)]]);
    const conversations = new Conversations(new SqlConversationStore(driver, 60_000), silentLogger);
    await expect(conversations.answered('resp_old', 'k')).rejects.toMatchObject({ status: 404, code: 'response_not_found' });
    expect((await conversations.history('resp_old', 'k')).messages).toEqual(CANONICAL);
    await conversations.delete('resp_old', 'k');
    await expect(conversations.history('resp_old', 'k')).rejects.toMatchObject({ status: 400, code: 'previous_response_not_found' });
    await driver.close();
  });
});

describe('a previous_response_id not found', () => {
  it('is quoted back only when it has the shape of our ids: a key pasted in its place is not', async () => {
    const driver = openSqlite(':memory:');
    await migrate(driver);
    const conversations = new Conversations(new SqlConversationStore(driver, 60_000), silentLogger);
    const ours = `resp_${'0'.repeat(32)}`;
    const pasted = 'sk-live-0123456789abcdefghijklmnopqrstuvwxyz';
    await expect(conversations.history(ours, 'k')).rejects.toMatchObject({ status: 400, message: `Previous response with id '${ours}' not found.` });
    const refused = await conversations.history(pasted, 'k').catch((err: unknown) => err as Error);
    expect(refused).toMatchObject({ status: 400, code: 'previous_response_not_found', message: 'Previous response with that id not found.' });
    await driver.close();
  });
});

describe('an app closing its stored conversations', () => {
  const ANSWER = { response: '{"id":"resp_2"}', inputItems: '[]' };

  it('waits for the saves, reads and deletes already begun before it settles', async () => {
    const held: Array<() => void> = [];
    const hold = <T>(value: T): Promise<T> => new Promise((resolve) => held.push(() => resolve(value)));
    const store = { save: () => hold(undefined), begin: () => hold(undefined), finish: () => hold(true), fail: () => hold(true), abandon: () => hold(undefined), load: () => hold({ messages: CANONICAL, residency: undefined }), answered: () => hold(ANSWER), delete: () => hold(true) };
    const conversations = new Conversations(store, silentLogger);
    void conversations.save('resp_1', 'k', { messages: CANONICAL, residency: undefined, ...ANSWER });
    const read = conversations.history('resp_0', 'k');
    const retrieved = conversations.answered('resp_2', 'k');
    const deleted = conversations.delete('resp_3', 'k');
    let settled = false;
    const closing = conversations.settled().then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(settled).toBe(false);
    for (const release of held.splice(0)) release();
    await closing;
    expect(await read).toEqual({ messages: CANONICAL, residency: undefined });
    expect(await retrieved).toEqual(ANSWER);
    await deleted;
  });
});
