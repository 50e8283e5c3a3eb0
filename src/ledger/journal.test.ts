import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.js';
import { makeUsage } from '../core/types.js';
import { LedgerBatcher } from './batcher.js';
import type { AttemptRecord } from '../core/events.js';
import { eventId, toUsageEvent } from './event.js';
import { Journal, journalsCommitted } from './journal.js';
import { eventFromLine, ledgerRow } from './journal-line.js';
import { openSqlite } from './store/sqlite-driver.js';
import { COLUMNS, SqlLedgerStore } from './store/sql-store.js';
import { attempt, events } from './testing/fixtures.js';

const ALL = { from: 0, to: Date.parse('2100-01-01'), groupBy: [] as [] };

async function setup(dir: string) {
  const store = await SqlLedgerStore.open(openSqlite(':memory:'));
  const batcher = new LedgerBatcher({ store, logger: silentLogger, batchSize: 100, flushIntervalMs: 60_000, maxBuffer: 10_000, spillPath: join(dir, 'spill.jsonl'), retryIntervalMs: 10, journal: new Journal(join(dir, 'journal')) });
  return { store, batcher, rows: async () => (await store.summarize(ALL))[0]?.attempts ?? 0 };
}

const segments = (dir: string) => readdirSync(join(dir, 'journal'));

describe('ledger journal', () => {
  it('writes the events queued in one turn together at its end, says when (journalsCommitted), and drops the segment once stored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const { store, batcher, rows } = await setup(dir);
    expect(journalsCommitted()).toBeUndefined(); // nothing waits
    batcher.enqueue(attempt({ requestId: 'a' }));
    batcher.enqueue(attempt({ requestId: 'b' }));
    expect(segments(dir)).toEqual([]); // not yet: one write at the end of the turn
    const committed = journalsCommitted();
    expect(committed).toBeInstanceOf(Promise);
    await committed;
    expect(journalsCommitted()).toBeUndefined();
    const [segment] = segments(dir);
    expect(readFileSync(join(dir, 'journal', segment as string), 'utf8').trim().split('\n').map((l) => eventFromLine(JSON.parse(l)).id)).toEqual([eventId(attempt({ requestId: 'a' })), eventId(attempt({ requestId: 'b' }))]);
    await batcher.flush();
    expect(await rows()).toBe(2);
    expect(segments(dir)).toEqual([]);
    await batcher.close();
    await store.close();
  });

  it('writes at once when told nothing else will share the write (journalsCommitted(true)): the answer waits no turn', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const { store, batcher } = await setup(dir);
    batcher.enqueue(attempt({ requestId: 'a' }));
    const waiting = journalsCommitted(); // another answer, which waits for the end of the turn
    expect(journalsCommitted(true)).toBeUndefined();
    const [segment] = segments(dir);
    expect(readFileSync(join(dir, 'journal', segment as string), 'utf8').trim().split('\n')).toHaveLength(1);
    await waiting; // released by that write, not left hanging
    expect(journalsCommitted()).toBeUndefined();
    await batcher.close();
    await store.close();
  });

  it('hands a batch to the SQLite writer thread as the journal\'s text: every value arrives as the row', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const store = await SqlLedgerStore.open(openSqlite(join(dir, 'ledger.sqlite')));
    const toEvent = (r: AttemptRecord) => toUsageEvent(r, { usd: r.cacheHit ? undefined : 0.25, priced: !r.cacheHit });
    const batcher = new LedgerBatcher({ store, logger: silentLogger, batchSize: 2, flushIntervalMs: 60_000, maxBuffer: 10_000, spillPath: join(dir, 'spill.jsonl'), retryIntervalMs: 10, journal: new Journal(join(dir, 'journal')), toEvent });
    const records = [
      attempt({ requestId: 'plain', tags: { key: 'k1', app: 'caf\u00e9 "quoted"' } }),
      attempt({ requestId: 'hit', cacheHit: true, quotaHeadroom: 0.5, usageEstimated: true, ttftMs: 7 }),
      attempt({ requestId: 'third', region: undefined }),
    ];
    for (const r of records) batcher.enqueue(r);
    await batcher.flush();
    const { rows } = await store.sql.query<Record<string, unknown>>(`SELECT ${COLUMNS.join(', ')} FROM usage_events ORDER BY id`);
    const expected = records.map((r) => ledgerRow(toEvent(r))).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(rows.map((row) => COLUMNS.map((c) => row[c]))).toEqual(expected);
    await batcher.close();
    await store.close();
  });

  it('replays the segments of a process that died once, without double counting what it had stored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const first = await setup(dir);
    const stored = events(3);
    for (const e of stored) first.batcher.enqueue(e);
    await first.batcher.flush();
    for (const e of events(5)) first.batcher.enqueue(e); // 3 of them stored already, 2 only journaled
    await journalsCommitted();
    // An earlier incarnation with the same pid (a restarted container's pid 1) left this segment.
    const [segment] = segments(dir);
    writeFileSync(join(dir, 'journal', `${process.pid}-deadbeef-00000000.jsonl`), readFileSync(join(dir, 'journal', segment as string)));

    const second = await setup(dir);
    await second.store.insert(stored);
    await second.batcher.flush();
    expect(await second.rows()).toBe(5);
    expect(second.batcher.stats().replayed).toBe(5);
    // The first journal is still running: its segment is not a leftover.
    expect(segments(dir)).toEqual([segment]);
    await second.batcher.flush();
    expect(await second.rows()).toBe(5);
    for (const b of [first, second]) {
      await b.batcher.close();
      await b.store.close();
    }
    expect(segments(dir)).toEqual([]);
  });

  it('replays a dead process\'s segment once when the workers sharing the folder all find it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const store = await SqlLedgerStore.open(openSqlite(':memory:'));
    const worker = () =>
      new LedgerBatcher({ store, logger: silentLogger, batchSize: 100, flushIntervalMs: 60_000, maxBuffer: 10_000, spillPath: join(dir, 'spill.jsonl'), retryIntervalMs: 10, journal: new Journal(join(dir, 'journal')) });
    mkdirSync(join(dir, 'journal'));
    // No process 2^22+1 exists (pid_max is at most 2^22): its segment is a leftover.
    writeFileSync(join(dir, 'journal', '4194305-deadbeef-00000000.jsonl'), events(3).map((e) => `${JSON.stringify(ledgerRow(e))}\n`).join(''));
    const workers = [worker(), worker()];
    await Promise.all(workers.map((w) => w.flush()));
    expect((await store.summarize(ALL))[0]?.attempts).toBe(3);
    expect(workers.map((w) => w.stats().storeDown)).toEqual([false, false]);
    expect(workers.map((w) => w.stats().replayed).sort()).toEqual([0, 3]);
    expect(segments(dir)).toEqual([]);
    for (const w of workers) await w.close();
    await store.close();
  });

  it('replays a segment written before the one-hour cache-write count (rows one value shorter) beside one with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const { store, batcher } = await setup(dir);
    const write = (requestId: string, cachedWrite1h: number) => toUsageEvent(attempt({ requestId, usage: makeUsage({ prompt: 1000, cachedWrite: 400, cachedWrite1h, completion: 10 }) }), { usd: 0.01, priced: true });
    // The earlier build's rows: the 31 values before the one-hour count.
    const earlier = [write('old-1', 300), write('old-2', 300)].map((e) => `${JSON.stringify(ledgerRow(e).slice(0, 31))}\n`).join('');
    writeFileSync(join(dir, 'journal', '4194305-deadbeef-00000000.jsonl'), earlier + `${JSON.stringify(ledgerRow(write('new', 300)))}\n`);
    const replaying = new LedgerBatcher({ store, logger: silentLogger, batchSize: 100, flushIntervalMs: 60_000, maxBuffer: 10_000, spillPath: join(dir, 'spill.jsonl'), retryIntervalMs: 10, journal: new Journal(join(dir, 'journal')) });
    await replaying.flush();
    expect(replaying.stats().replayed).toBe(3);
    expect((await store.summarize(ALL))[0]).toMatchObject({ attempts: 3, cachedWriteTokens: 1200, cachedWrite1hTokens: 300 });
    await replaying.close();
    await batcher.close();
    await store.close();
  });

  it('hands the segments a closing journal keeps (a reload, its store down) to the next generation, which replays them in its next round', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const store = await SqlLedgerStore.open(openSqlite(':memory:'));
    const down = { ...store, insert: () => Promise.reject(new Error('store down')) } as unknown as SqlLedgerStore;
    const generation = (s: SqlLedgerStore) =>
      new LedgerBatcher({ store: s, logger: silentLogger, batchSize: 100, flushIntervalMs: 60_000, maxBuffer: 10_000, spillPath: join(dir, 'a-file', 'spill.jsonl'), retryIntervalMs: 10, journal: new Journal(join(dir, 'journal')) });
    writeFileSync(join(dir, 'a-file'), ''); // the spill file's folder cannot be made
    const old = generation(down);
    for (const e of events(4)) old.enqueue(e);
    await journalsCommitted();
    // The reload builds the next generation before the old one closes: no leftovers when it starts.
    const next = generation(store);
    await next.flush();
    await old.close(50); // neither the store nor the spill file takes them: the journal keeps them
    expect(segments(dir)).toHaveLength(1);
    await next.flush();
    expect((await store.summarize(ALL))[0]?.attempts).toBe(4);
    expect(next.stats().replayed).toBe(4);
    await next.close();
    expect(segments(dir)).toEqual([]);
    await store.close();
  });

  it('hands kept segments to the newest journal open on the folder, with the leftovers it had not replayed, when reloads follow each other', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const folder = join(dir, 'journal');
    const [first, second, third] = [new Journal(folder), new Journal(folder), new Journal(folder)];
    first.append('["a"]\n');
    first.close(true);
    // The newest took it, not second, which may be closing too.
    expect([second.leftovers.length, third.leftovers.length]).toEqual([0, 1]);
    // third closes before replaying it (its store down): second, the one still open, takes it over.
    third.close(true);
    expect(second.leftovers).toHaveLength(1);
    second.close();
  });

  it('never holds answers on a broken disk: a failed write is reported and the waiters are released', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const errors: unknown[] = [];
    const journal = new Journal(join(dir, 'journal'), (err) => errors.push(err));
    rmSync(join(dir, 'journal'), { recursive: true }); // the segment cannot be opened now
    journal.append('["x"]\n');
    await journalsCommitted();
    expect(errors).toHaveLength(1);
    expect(journalsCommitted()).toBeUndefined();
  });
});
