import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { silentLogger } from '../../../core/logger.js';
import type { Message } from '../../../core/types.js';
import type { SqlDriver } from '../../../ledger/store/driver.js';
import { migrate } from '../../../ledger/store/migrations.js';
import { openPostgres } from '../../../ledger/store/postgres-driver.js';
import { openSqlite } from '../../../ledger/store/sqlite-driver.js';
import { DATABASE_URL, testSchema } from '../../../ledger/testing/fixtures.js';
import { MemoryConversationStore } from './memory.js';
import { SqlConversationStore } from './sql.js';
import { storedMessages } from './stored.js';
import type { ConversationStore, StoredResponse } from './store.js';

const HOUR = 3_600_000;
const turn = (text: string): Message[] => [
  { role: 'user', content: [{ type: 'text', text }] },
  { role: 'assistant', content: [{ type: 'text', text: `re: ${text}` }] },
];
/** The answer a response to `text` was given, as JSON texts. */
const answer = (text: string): { response: string; inputItems: string } => ({
  response: JSON.stringify({ id: `resp_${text}`, object: 'response', output: [{ type: 'message', content: [{ type: 'output_text', text: `re: ${text}` }] }] }),
  inputItems: JSON.stringify([{ id: `msg_${text}`, type: 'message', role: 'user', content: [{ type: 'input_text', text }] }]),
});
const saved = (text: string, residency?: string): StoredResponse => ({ messages: turn(text), residency, ...answer(text) });
/** What a stream's mark is begun with: its in-progress Response object and its input items, known from the start. */
const underWay = (id: string): { response: string; inputItems: string } => ({
  response: JSON.stringify({ id, object: 'response', status: 'in_progress', output: [], usage: null }),
  inputItems: JSON.stringify([{ id: `msg_${id}`, type: 'message', role: 'user', content: [{ type: 'input_text', text: 'asked' }] }]),
});

/** One suite for every store: what a key saved only it reads back, and only until the retention ends. */
function conversationSuite(name: string, open: (now: () => number) => Promise<ConversationStore>, cleanup: () => Promise<void> = async () => undefined): void {
  describe(`stored conversations in ${name}`, () => {
    let clock = 1_000_000;
    let store: ConversationStore;
    beforeAll(async () => {
      store = await open(() => clock);
    });
    afterAll(cleanup);

    it('gives a saved conversation back to the key that saved it, and to no other', async () => {
      await store.save('resp_a', 'one', saved('hi'));
      expect(await store.load('resp_a', 'one')).toEqual({ messages: turn('hi'), residency: undefined });
      expect(await store.load('resp_a', 'two')).toBeUndefined();
      expect(await store.load('resp_missing', 'one')).toBeUndefined();
    });

    it('keeps the residency a conversation was made under, which its continuations are held to', async () => {
      await store.save('resp_eu', 'one', saved('eu only', 'eu'));
      expect(await store.load('resp_eu', 'one')).toEqual({ messages: turn('eu only'), residency: 'eu' });
    });

    it('forgets a conversation once its retention has passed, and sweeps it out on a later save', async () => {
      await store.save('resp_old', 'one', saved('old'));
      clock += 24 * HOUR;
      expect(await store.load('resp_old', 'one')).toBeUndefined();
      await store.save('resp_new', 'one', saved('new'));
      expect(await store.load('resp_new', 'one')).toEqual({ messages: turn('new'), residency: undefined });
      clock -= 24 * HOUR;
      // Swept, not merely hidden: turning the clock back does not bring it back.
      expect(await store.load('resp_old', 'one')).toBeUndefined();
      clock += 24 * HOUR;
    });

    it('gives the answer back as it was saved, to the key that saved it only', async () => {
      await store.save('resp_b', 'one', saved('answered'));
      expect(await store.answered('resp_b', 'one')).toEqual(answer('answered'));
      expect(await store.answered('resp_b', 'two')).toBeUndefined();
      expect(await store.answered('resp_missing', 'one')).toBeUndefined();
    });

    it("deletes a response for its own key only, and then neither its conversation nor its answer is found", async () => {
      await store.save('resp_c', 'one', saved('delete me'));
      expect(await store.delete('resp_c', 'two')).toBe(false);
      expect(await store.answered('resp_c', 'one')).toEqual(answer('delete me'));
      expect(await store.delete('resp_c', 'one')).toBe(true);
      expect(await store.load('resp_c', 'one')).toBeUndefined();
      expect(await store.answered('resp_c', 'one')).toBeUndefined();
      expect(await store.delete('resp_c', 'one')).toBe(false);
    });

    it('deletes a response while it streams: the DELETE finds it, and its save at the end keeps nothing', async () => {
      await store.begin('resp_s1', 'one', underWay('resp_s1'));
      expect(await store.answered('resp_s1', 'one')).toEqual({ inProgress: true, ...underWay('resp_s1') });
      expect(await store.load('resp_s1', 'one')).toEqual({ inProgress: true });
      expect(await store.delete('resp_s1', 'one')).toBe(true);
      expect(await store.answered('resp_s1', 'one')).toBeUndefined();
      expect(await store.load('resp_s1', 'one')).toBeUndefined();
      expect(await store.delete('resp_s1', 'one')).toBe(false);
      expect(await store.finish('resp_s1', 'one', saved('streamed'))).toBe(false);
      expect(await store.load('resp_s1', 'one')).toBeUndefined();
      expect(await store.answered('resp_s1', 'one')).toBeUndefined();
      expect(await store.delete('resp_s1', 'one')).toBe(false);
    });

    it("keeps a streamed response another key tried to delete: the tombstone is the owner's alone", async () => {
      await store.begin('resp_s2', 'one', underWay('resp_s2'));
      expect(await store.delete('resp_s2', 'two')).toBe(false);
      expect(await store.finish('resp_s2', 'one', saved('mine'))).toBe(true);
      expect(await store.load('resp_s2', 'one')).toEqual({ messages: turn('mine'), residency: undefined });
      expect(await store.answered('resp_s2', 'one')).toEqual(answer('mine'));
      expect(await store.delete('resp_s2', 'one')).toBe(true);
      expect(await store.answered('resp_s2', 'one')).toBeUndefined();
    });

    it('reads a response while it streams as in progress with its input items, to its own key only, and as stored once it is', async () => {
      await store.begin('resp_p1', 'one', underWay('resp_p1'));
      expect(await store.answered('resp_p1', 'one')).toEqual({ inProgress: true, ...underWay('resp_p1') });
      expect(await store.load('resp_p1', 'one')).toEqual({ inProgress: true });
      expect(await store.answered('resp_p1', 'two')).toBeUndefined();
      expect(await store.load('resp_p1', 'two')).toBeUndefined();
      expect(await store.finish('resp_p1', 'one', saved('done'))).toBe(true);
      expect(await store.answered('resp_p1', 'one')).toEqual(answer('done'));
      expect(await store.load('resp_p1', 'one')).toEqual({ messages: turn('done'), residency: undefined });
    });

    it('forgets a stream that ended badly: a DELETE then finds nothing', async () => {
      await store.begin('resp_s3', 'one', underWay('resp_s3'));
      await store.abandon('resp_s3', 'two');
      expect(await store.load('resp_s3', 'one')).toEqual({ inProgress: true });
      await store.abandon('resp_s3', 'one');
      expect(await store.answered('resp_s3', 'one')).toBeUndefined();
      expect(await store.load('resp_s3', 'one')).toBeUndefined();
      expect(await store.delete('resp_s3', 'one')).toBe(false);
      expect(await store.finish('resp_s3', 'one', saved('late'))).toBe(false);
    });

    it('keeps a stream that failed as failed: read back with its input items to its own key, never continued, deleted as a stored one is', async () => {
      const failed = { ...underWay('resp_f1'), response: JSON.stringify({ id: 'resp_f1', status: 'failed', error: { code: 'server_error', message: 'Upstream failed.' } }) };
      await store.begin('resp_f1', 'one', underWay('resp_f1'));
      expect(await store.fail('resp_f1', 'two', failed)).toBe(false);
      expect(await store.fail('resp_f1', 'one', failed)).toBe(true);
      expect(await store.answered('resp_f1', 'one')).toEqual(failed);
      expect(await store.load('resp_f1', 'one')).toEqual({ failed: true });
      expect(await store.answered('resp_f1', 'two')).toBeUndefined();
      expect(await store.load('resp_f1', 'two')).toBeUndefined();
      // Its mark is gone: a later save of the stream, or a client that left, changes nothing.
      expect(await store.finish('resp_f1', 'one', saved('late'))).toBe(false);
      await store.abandon('resp_f1', 'one');
      expect(await store.answered('resp_f1', 'one')).toEqual(failed);
      expect(await store.delete('resp_f1', 'two')).toBe(false);
      expect(await store.delete('resp_f1', 'one')).toBe(true);
      expect(await store.answered('resp_f1', 'one')).toBeUndefined();
      expect(await store.load('resp_f1', 'one')).toBeUndefined();
      expect(await store.delete('resp_f1', 'one')).toBe(false);
    });

    it('keeps nothing of a stream deleted while it streamed that then failed, and forgets a failed one once its retention has passed', async () => {
      await store.begin('resp_f2', 'one', underWay('resp_f2'));
      expect(await store.delete('resp_f2', 'one')).toBe(true);
      expect(await store.fail('resp_f2', 'one', underWay('resp_f2'))).toBe(false);
      expect(await store.answered('resp_f2', 'one')).toBeUndefined();
      expect(await store.load('resp_f2', 'one')).toBeUndefined();
      await store.begin('resp_f3', 'one', underWay('resp_f3'));
      expect(await store.fail('resp_f3', 'one', underWay('resp_f3'))).toBe(true);
      clock += 24 * HOUR;
      expect(await store.answered('resp_f3', 'one')).toBeUndefined();
      expect(await store.load('resp_f3', 'one')).toBeUndefined();
      expect(await store.delete('resp_f3', 'one')).toBe(false);
    });

    it('lets a mark a dead process left expire after a day, tombstone or not', async () => {
      await store.begin('resp_s4', 'one', underWay('resp_s4'));
      await store.begin('resp_s5', 'one', underWay('resp_s5'));
      expect(await store.delete('resp_s5', 'one')).toBe(true);
      clock += 24 * HOUR;
      expect(await store.delete('resp_s4', 'one')).toBe(false);
      expect(await store.finish('resp_s5', 'one', saved('too late'))).toBe(false);
      expect(await store.finish('resp_s4', 'one', saved('too late'))).toBe(false);
      expect(await store.answered('resp_s4', 'one')).toBeUndefined();
      expect(await store.load('resp_s4', 'one')).toBeUndefined();
    });

    it('deletes nothing once the retention has passed: an expired response is not found', async () => {
      await store.save('resp_d', 'one', saved('expiring'));
      clock += 24 * HOUR;
      expect(await store.delete('resp_d', 'one')).toBe(false);
      expect(await store.answered('resp_d', 'one')).toBeUndefined();
    });
  });
}

conversationSuite('memory', async (now) => new MemoryConversationStore({ retentionMs: 24 * HOUR, maxEntries: 100, maxBytes: 1_000_000 }, now));

let sqlite: SqlDriver | undefined;
conversationSuite(
  'SQLite',
  async (now) => {
    sqlite = openSqlite(':memory:');
    await migrate(sqlite);
    return new SqlConversationStore(sqlite, 24 * HOUR, now);
  },
  async () => sqlite?.close(),
);

if (DATABASE_URL) {
  const schema = testSchema('responses_store');
  let driver: SqlDriver | undefined;
  conversationSuite(
    'PostgreSQL',
    async (now) => {
      driver = openPostgres(DATABASE_URL as string, schema, silentLogger);
      await migrate(driver);
      return new SqlConversationStore(driver, 24 * HOUR, now);
    },
    async () => {
      await driver?.close();
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  );
}

describe('a streamed response an older build marked under way (a rolling upgrade)', () => {
  it('is read in progress without input items, which that build kept only with the answer', async () => {
    const driver = openSqlite(':memory:');
    try {
      await migrate(driver);
      const store = new SqlConversationStore(driver, 24 * HOUR, () => 1_000_000);
      // That build's begin: the in-progress Response, no input items.
      const { response } = underWay('resp_old');
      await driver.insertRows(driver.table('responses'), ['id', 'owner', 'created_at', 'expires_at', 'messages', 'response', 'state'], 'id', [['resp_old', 'one', 1_000_000, 2_000_000, 'null', response, 'streaming']]);
      expect(await store.answered('resp_old', 'one')).toEqual({ inProgress: true, response, inputItems: undefined });
    } finally {
      await driver.close();
    }
  });
});

describe('a streamed response under way, read by a build from before migration 10 (a rolling upgrade)', () => {
  it('is no conversation that build would continue: it refuses it rather than going on with an empty history', async () => {
    const driver = openSqlite(':memory:');
    try {
      await migrate(driver);
      const store = new SqlConversationStore(driver, 24 * HOUR, () => 1_000_000);
      await store.begin('resp_s', 'one', underWay('resp_s'));
      await store.begin('resp_t', 'one', underWay('resp_t'));
      expect(await store.delete('resp_t', 'one')).toBe(true);
      // That build's load: it knows no `state`, so the mark and the tombstone look stored to it.
      const olderLoad = async (id: string): Promise<unknown> => {
        const { rows } = await driver.query<{ messages: string }>(`SELECT messages, residency FROM ${driver.table('responses')} WHERE id = ? AND owner = ? AND expires_at > ?`, [id, 'one', 1_000_000]);
        return storedMessages(JSON.parse((rows[0] as { messages: string }).messages) as unknown, id);
      };
      for (const id of ['resp_s', 'resp_t']) await expect(olderLoad(id)).rejects.toMatchObject({ code: 'previous_response_unreadable', status: 400 });
    } finally {
      await driver.close();
    }
  });
});

describe.skipIf(DATABASE_URL)('stored conversations in PostgreSQL', () => {
  it('runs the suite above on PostgreSQL too when DATABASE_URL names a test database', () => undefined);
});

describe('stored conversations in memory, bounded', () => {
  /** A response to `text` holding an image of `size` base64 characters, as the door stores one: in its conversation and its input items. */
  const withImage = (text: string, size: number): StoredResponse => {
    const data = 'A'.repeat(size);
    return {
      messages: [{ role: 'user', content: [{ type: 'text', text }, { type: 'image', source: { type: 'base64', mediaType: 'image/png', data } }] }, ...turn(text).slice(1)],
      residency: undefined,
      response: answer(text).response,
      inputItems: JSON.stringify([{ type: 'message', role: 'user', content: [{ type: 'input_image', image_url: `data:image/png;base64,${data}` }] }]),
    };
  };

  it('drops the oldest conversations once they hold more bytes than its limit, however few they are', async () => {
    const store = new MemoryConversationStore({ retentionMs: HOUR, maxEntries: 100, maxBytes: 5_000_000 }, () => 0);
    for (const id of ['r1', 'r2', 'r3']) await store.save(id, 'k', withImage(id, 1_000_000));
    // Each image is held twice: about 2 MB a response, so two fit and the oldest goes.
    expect(store.size).toBe(2);
    expect(store.heldBytes).toBeGreaterThan(4_000_000);
    expect(store.heldBytes).toBeLessThanOrEqual(5_000_000);
    expect(await store.load('r1', 'k')).toBeUndefined();
    expect(await store.answered('r2', 'k')).toBeDefined();
    expect(await store.answered('r3', 'k')).toBeDefined();
  });

  it('gives the bytes back when a response is deleted, expires or is replaced', async () => {
    let clock = 0;
    const store = new MemoryConversationStore({ retentionMs: HOUR, maxEntries: 100, maxBytes: 5_000_000 }, () => clock);
    await store.save('r1', 'k', withImage('r1', 1_000_000));
    await store.save('r1', 'k', withImage('r1', 1_000_000));
    const one = store.heldBytes;
    expect(one).toBeGreaterThan(2_000_000);
    expect(one).toBeLessThan(2_100_000);
    await store.save('r2', 'k', saved('small'));
    expect(await store.delete('r2', 'k')).toBe(true);
    expect(store.heldBytes).toBe(one);
    clock += HOUR;
    await store.save('r3', 'k', saved('small'));
    expect(store.size).toBe(1);
    expect(store.heldBytes).toBeLessThan(1_000);
  });

  it('keeps no response larger than its whole limit, and drops nothing for it', async () => {
    const store = new MemoryConversationStore({ retentionMs: HOUR, maxEntries: 100, maxBytes: 1_000_000 }, () => 0);
    await store.save('small', 'k', saved('small'));
    await expect(store.save('huge', 'k', withImage('huge', 1_000_000))).rejects.toThrow(/max_memory_bytes/);
    expect(await store.answered('huge', 'k')).toBeUndefined();
    expect(await store.answered('small', 'k')).toEqual(answer('small'));
  });

  it('applies a lower byte limit from a reload at once, oldest first', async () => {
    const store = new MemoryConversationStore({ retentionMs: HOUR, maxEntries: 100, maxBytes: 10_000_000 }, () => 0);
    for (const id of ['r1', 'r2', 'r3']) await store.save(id, 'k', withImage(id, 1_000_000));
    store.limit({ retentionMs: HOUR, maxEntries: 100, maxBytes: 3_000_000 });
    expect(store.size).toBe(1);
    expect(await store.answered('r3', 'k')).toBeDefined();
  });

  it('drops the oldest conversations beyond its limit', async () => {
    const store = new MemoryConversationStore({ retentionMs: HOUR, maxEntries: 2, maxBytes: 1_000_000 }, () => 0);
    for (const id of ['r1', 'r2', 'r3']) await store.save(id, 'k', saved(id));
    expect(store.size).toBe(2);
    expect(await store.load('r1', 'k')).toBeUndefined();
    expect(await store.load('r3', 'k')).toEqual({ messages: turn('r3'), residency: undefined });
  });
});
