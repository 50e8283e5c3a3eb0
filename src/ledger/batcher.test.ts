import { mkdirSync, mkdtempSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import pg from 'pg';
import { silentLogger, type Logger } from '../core/logger.js';
import { eventFromLine, journalLine } from './journal-line.js';
import { LedgerBatcher } from './batcher.js';
import { Journal, journalsCommitted } from './journal.js';
import type { AttemptRecord } from '../core/events.js';
import { eventId, toUsageEvent, type UsageEvent } from './event.js';
import { openPostgres } from './store/postgres-driver.js';
import { openSqlite } from './store/sqlite-driver.js';
import { SqlLedgerStore, type LedgerStore } from './store/sql-store.js';
import { attempt, DATABASE_URL, events, testSchema } from './testing/fixtures.js';
import { TcpProxy } from './testing/tcp-proxy.js';

const ALL = { from: 0, to: Date.parse('2100-01-01'), groupBy: [] as [] };
const tmp = () => mkdtempSync(join(tmpdir(), 'ledger-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A store that fails on demand; `ackLost` writes the batch and then fails, as a dropped connection can. */
class FlakyStore implements LedgerStore {
  down = false;
  ackLost = false;
  calls = 0;
  constructor(private readonly inner: LedgerStore) {}
  get dialect() {
    return this.inner.dialect;
  }
  async insert(e: readonly UsageEvent[]): Promise<number> {
    this.calls += 1;
    if (this.down) throw new Error('database is down');
    const n = await this.inner.insert(e);
    if (this.ackLost) {
      this.ackLost = false;
      throw new Error('connection reset after commit');
    }
    return n;
  }
  summarize: LedgerStore['summarize'] = (q) => this.inner.summarize(q);
  close = () => this.inner.close();
}

/** A store whose every insert waits for `release()`: a round held in flight. `sizes` lists the batches begun. */
function gate(inner: LedgerStore): { store: LedgerStore; release: () => void; sizes: number[] } {
  let open: () => void = () => undefined;
  const sizes: number[] = [];
  const held = (rows: number): Promise<void> => {
    sizes.push(rows);
    return new Promise<void>((r) => (open = r));
  };
  const store: LedgerStore = {
    dialect: inner.dialect,
    insert: async (batch) => {
      await held(batch.length);
      return inner.insert(batch);
    },
    summarize: (q) => inner.summarize(q),
    close: () => inner.close(),
  };
  const lines = inner.insertLines?.bind(inner);
  if (lines) {
    store.insertLines = async (batch) => {
      await held(batch.length);
      return lines(batch);
    };
  }
  return { store, release: () => open(), sizes };
}

const count = async (store: LedgerStore) => (await store.summarize(ALL))[0]?.attempts ?? 0;

describe('ledger batcher', () => {
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    vi.useRealTimers();
    for (const o of open.splice(0)) await o.close();
  });

  it('writes off the hot path in batches and flushes everything on close', async () => {
    const store = await SqlLedgerStore.open(openSqlite(':memory:'));
    const flaky = new FlakyStore(store);
    const b = new LedgerBatcher({ store: flaky, logger: silentLogger, batchSize: 100, flushIntervalMs: 60_000, maxBuffer: 10_000, spillPath: join(tmp(), 'spill.jsonl'), retryIntervalMs: 10 });
    for (const e of events(250)) b.enqueue(e);
    expect(flaky.calls).toBe(0); // enqueue never touches the store itself
    await b.close();
    expect(await count(store)).toBe(250);
    await store.close();
  });

  it('leaves events that arrive while a batch is in flight for the next round, unless they fill a batch', async () => {
    const store = await SqlLedgerStore.open(openSqlite(':memory:'));
    const { store: gated, release, sizes } = gate(store);
    const b = new LedgerBatcher({ store: gated, logger: silentLogger, batchSize: 10, flushIntervalMs: 60_000, maxBuffer: 10_000, spillPath: join(tmp(), 'spill.jsonl'), retryIntervalMs: 10 });
    const all = events(40);
    for (const e of all.slice(0, 10)) b.enqueue(e); // a full batch: written right away
    await sleep(5);
    expect(sizes).toEqual([10]);
    for (const e of all.slice(10, 13)) b.enqueue(e); // a trickle while that batch is in flight
    release();
    await sleep(5);
    expect(sizes).toEqual([10]); // not a transaction of 3 of its own
    expect(b.stats().queued).toBe(3);
    for (const e of all.slice(13, 25)) b.enqueue(e); // now a full batch waits: it goes next
    await sleep(5);
    expect(sizes).toEqual([10, 10]);
    release();
    await sleep(5);
    const flushed = b.flush(); // an explicit flush (and close) still writes everything queued
    await sleep(5);
    release();
    await flushed;
    expect(sizes).toEqual([10, 10, 5]);
    expect(await count(store)).toBe(25);
    await b.close();
    await store.close();
  });

  it('resolves a flush asked while a round is writing only once what was queued before it is written (serverless: one instance, several requests)', async () => {
    const store = await SqlLedgerStore.open(openSqlite(':memory:'));
    const { store: gated, release } = gate(store);
    const b = new LedgerBatcher({ store: gated, logger: silentLogger, batchSize: 10, flushIntervalMs: 60_000, maxBuffer: 10_000, spillPath: join(tmp(), 'spill.jsonl'), retryIntervalMs: 10 });
    const [first, second] = events(2);
    b.enqueue(first as UsageEvent);
    const firstFlushed = b.flush(); // request A's round takes A's event
    await sleep(5);
    b.enqueue(second as UsageEvent);
    let secondDone = false;
    const secondFlushed = b.flush().then(() => (secondDone = true)); // request B's, asked while A's writes
    release();
    await firstFlushed;
    await sleep(5);
    expect(secondDone).toBe(false); // B's event is still on its way
    release();
    await secondFlushed;
    expect(await count(store)).toBe(2);
    await b.close();
    await store.close();
  });

  it('still waits for its own round after an earlier round failed outright (a journal that could not be sealed)', async () => {
    class SealOnce extends Journal {
      fail = true;
      override seal(): number {
        if (this.fail) {
          this.fail = false;
          throw new Error('disk full');
        }
        return super.seal();
      }
    }
    const store = await SqlLedgerStore.open(openSqlite(':memory:'));
    const { store: gated, release } = gate(store);
    const b = new LedgerBatcher({ store: gated, journal: new SealOnce(tmp()), logger: silentLogger, batchSize: 10, flushIntervalMs: 60_000, maxBuffer: 10_000, spillPath: join(tmp(), 'spill.jsonl'), retryIntervalMs: 10 });
    const failed = b.flush();
    const chained = b.flush(); // asked while the failing round is under way
    await expect(failed).rejects.toThrow('disk full');
    await chained; // ran a round of its own after the failure
    const [first, second] = events(2);
    b.enqueue(first as UsageEvent);
    const round = b.flush();
    await sleep(5);
    b.enqueue(second as UsageEvent);
    let done = false;
    const mine = b.flush().then(() => (done = true));
    await sleep(5);
    expect(done).toBe(false); // not settled by the failed round's leftovers
    release();
    await round;
    await sleep(5);
    release();
    await mine;
    expect(await count(store)).toBe(2);
    await b.close();
    await store.close();
  });

  it('loses nothing when the database fails mid-stream: buffers, spills past the bound, replays', async () => {
    const store = await SqlLedgerStore.open(openSqlite(':memory:'));
    const flaky = new FlakyStore(store);
    const spillPath = join(tmp(), 'spill.jsonl');
    const b = new LedgerBatcher({ store: flaky, logger: silentLogger, batchSize: 50, flushIntervalMs: 5, maxBuffer: 200, spillPath, retryIntervalMs: 20 });
    const all = events(3000);
    for (let i = 0; i < all.length; i += 1) {
      if (i === 500) flaky.down = true;
      if (i === 2500) flaky.down = false;
      if (i === 2600) flaky.ackLost = true;
      b.enqueue(all[i] as UsageEvent);
      if (i % 100 === 0) await sleep(2);
    }
    expect(b.stats().spilled).toBeGreaterThan(0);
    await b.close();
    expect(await count(store)).toBe(3000);
    expect(existsSync(spillPath)).toBe(false);
    await store.close();
  });

  it('keeps every usage row through a full disk (SQLITE_FULL): queued while inserts fail, all stored once space is freed', async () => {
    const driver = openSqlite(':memory:');
    const store = await SqlLedgerStore.open(driver);
    const [{ page_count: pages }] = (await driver.query('PRAGMA page_count')).rows as [{ page_count: number }];
    await driver.query(`PRAGMA max_page_count = ${pages}`);
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, child: () => logger, warn: (obj, msg) => void warnings.push(`${msg ?? ''}: ${String((obj as { err?: unknown }).err)}`) };
    let now = 0;
    const b = new LedgerBatcher({ store, logger, batchSize: 100, flushIntervalMs: 60_000, maxBuffer: 10_000, spillPath: join(tmp(), 'spill.jsonl'), retryIntervalMs: 1_000, now: () => now });
    for (const e of events(300)) b.enqueue(e);
    await b.flush().catch(() => undefined);
    expect([b.stats().storeDown, b.stats().written, b.stats().dropped, await count(store)]).toEqual([true, 0, 0, 0]);
    expect(warnings).toEqual(['ledger store unavailable; buffering events: database or disk is full']);
    // The operator frees space; the next round after retry_interval_ms writes what waited.
    await driver.query('PRAGMA max_page_count = 1000000');
    now += 1_000;
    await b.flush();
    expect([b.stats().storeDown, b.stats().written, b.stats().dropped, await count(store)]).toEqual([false, 300, 0, 300]);
    await b.close();
    await store.close();
  });

  it('queues attempt records as they are and builds (and prices) their rows when writing or spilling', async () => {
    const store = await SqlLedgerStore.open(openSqlite(':memory:'));
    const flaky = new FlakyStore(store);
    const spillPath = join(tmp(), 'spill.jsonl');
    const built: string[] = [];
    const toEvent = (r: AttemptRecord) => {
      built.push(r.requestId);
      return toUsageEvent(r, { usd: 0.5, priced: true });
    };
    const b = new LedgerBatcher({ store: flaky, logger: silentLogger, batchSize: 10, flushIntervalMs: 60_000, maxBuffer: 1000, spillPath, retryIntervalMs: 10, toEvent });
    b.enqueue(attempt({ requestId: 'a' }));
    b.enqueue(events(1)[0] as UsageEvent);
    expect(built).toEqual([]); // nothing is built on the hot path
    await b.flush();
    expect(built).toEqual(['a']);
    flaky.down = true;
    b.enqueue(attempt({ requestId: 'b' }));
    await b.close(0);
    // Spilled as finished events, so a later start replays them priced.
    const spilled = readFileSync(spillPath, 'utf8').trim().split('\n').map((l) => eventFromLine(JSON.parse(l)));
    expect(spilled.map((e) => [e.id, e.costUsd])).toEqual([[eventId(attempt({ requestId: 'b' })), 0.5]]);
    const rows = await store.summarize(ALL);
    expect([rows[0]?.attempts, rows[0]?.costUsd]).toEqual([2, 0.501]);
    await store.close();
  });

  describe('while the spill file cannot be written either (disk full or read-only)', () => {
    /** A spill path whose folder is a file: every append fails, as on a read-only disk (and as root). */
    function unwritableSpill(): { spillPath: string; heal: () => void } {
      const dir = tmp();
      const blocker = join(dir, 'ledger');
      writeFileSync(blocker, 'not a folder');
      return { spillPath: join(blocker, 'spill.jsonl'), heal: () => rmSync(blocker) };
    }
    function recordingLogger(): { logger: Logger; errors: string[] } {
      const errors: string[] = [];
      const logger: Logger = { debug() {}, info() {}, warn() {}, error: (_o, msg) => errors.push(msg ?? ''), child: () => logger };
      return { logger, errors };
    }

    it('never throws on enqueue: keeps events in memory up to twice max_buffer, drops the oldest beyond, and counts them', async () => {
      const store = await SqlLedgerStore.open(openSqlite(':memory:'));
      const flaky = new FlakyStore(store);
      flaky.down = true;
      const { spillPath } = unwritableSpill();
      const { logger, errors } = recordingLogger();
      let clock = 0;
      const b = new LedgerBatcher({ store: flaky, logger, batchSize: 5, flushIntervalMs: 60_000, maxBuffer: 10, spillPath, retryIntervalMs: 1000, now: () => clock });
      const all = events(25);
      await b.flush(); // the store is down now
      for (const e of all) expect(() => b.enqueue(e)).not.toThrow();
      expect(b.stats()).toMatchObject({ queued: 20, dropped: 5, spilled: 0 });
      expect(errors).toContain('ledger spill file not writable; events kept in memory');
      expect(errors).toContain('ledger events dropped: neither the store nor the spill file could take them');
      flaky.down = false;
      clock += 1000;
      await b.flush();
      expect(await count(store)).toBe(20);
      await b.close();
      await store.close();
    });

    it('tries the spill file again after retry_interval_ms and spills there once it takes writes', async () => {
      const store = await SqlLedgerStore.open(openSqlite(':memory:'));
      const flaky = new FlakyStore(store);
      flaky.down = true;
      const { spillPath, heal } = unwritableSpill();
      let clock = 0;
      const b = new LedgerBatcher({ store: flaky, logger: silentLogger, batchSize: 5, flushIntervalMs: 60_000, maxBuffer: 10, spillPath, retryIntervalMs: 1000, now: () => clock });
      await b.flush();
      for (const e of events(11)) b.enqueue(e);
      expect(b.stats()).toMatchObject({ queued: 11, spilled: 0 });
      heal();
      b.enqueue(events(12)[11] as UsageEvent);
      expect(b.stats().spilled).toBe(0); // not before the retry interval: no failing write per request
      clock += 1000;
      b.enqueue(events(13)[12] as UsageEvent);
      expect(b.stats()).toMatchObject({ queued: 0, spilled: 13, dropped: 0 });
      expect(readFileSync(spillPath, 'utf8').trim().split('\n')).toHaveLength(13);
      flaky.down = false;
      clock += 1000;
      await b.flush();
      expect(await count(store)).toBe(13);
      await b.close();
      await store.close();
    });

    it('closes without throwing, counting what it could not keep', async () => {
      const store = await SqlLedgerStore.open(openSqlite(':memory:'));
      const flaky = new FlakyStore(store);
      flaky.down = true;
      const { spillPath } = unwritableSpill();
      const b = new LedgerBatcher({ store: flaky, logger: silentLogger, batchSize: 50, flushIntervalMs: 60_000, maxBuffer: 100, spillPath, retryIntervalMs: 10 });
      for (const e of events(7)) b.enqueue(e);
      await expect(b.close(0)).resolves.toBeUndefined();
      expect(b.stats()).toMatchObject({ dropped: 7, spilled: 0 });
      expect(() => b.enqueue(events(1)[0] as UsageEvent)).not.toThrow();
      expect(b.stats().dropped).toBe(8);
      await store.close();
    });

    it('closes leaving the journal for the next start, which replays what neither the store nor the spill file took', async () => {
      const store = await SqlLedgerStore.open(openSqlite(':memory:'));
      const flaky = new FlakyStore(store);
      flaky.down = true;
      const { spillPath } = unwritableSpill();
      const dir = join(tmp(), 'journal');
      const opts = { logger: silentLogger, batchSize: 50, flushIntervalMs: 60_000, maxBuffer: 100, spillPath, retryIntervalMs: 10 };
      const first = new LedgerBatcher({ store: flaky, journal: new Journal(dir), ...opts });
      for (const e of events(7)) first.enqueue(e);
      await journalsCommitted();
      await first.close(0);
      expect(first.stats()).toMatchObject({ dropped: 0, spilled: 0 });
      const next = new LedgerBatcher({ store, journal: new Journal(dir), ...opts });
      await next.flush();
      expect(await count(store)).toBe(7);
      await next.close();
      await store.close();
    });

    it('counts as dropped what a journal that failed its writes does not hold', async () => {
      const store = await SqlLedgerStore.open(openSqlite(':memory:'));
      const flaky = new FlakyStore(store);
      flaky.down = true;
      const { spillPath } = unwritableSpill();
      const dir = join(tmp(), 'journal');
      const journal = new Journal(dir);
      rmSync(dir, { recursive: true }); // the disk refuses the journal too: its segment cannot be opened
      const b = new LedgerBatcher({ store: flaky, journal, logger: silentLogger, batchSize: 50, flushIntervalMs: 60_000, maxBuffer: 100, spillPath, retryIntervalMs: 10 });
      for (const e of events(3)) b.enqueue(e);
      await journalsCommitted();
      await b.close(0);
      expect(b.stats()).toMatchObject({ dropped: 3, spilled: 0 });
      await store.close();
    });
  });

  describe('with copyUnstored (serverless: the spill file dies with the instance)', () => {
    const copied = (texts: string[]): string[] => texts.join('').trim().split('\n').filter(Boolean).map((l) => eventFromLine((JSON.parse(l) as { switchyard_unstored_usage: unknown }).switchyard_unstored_usage).id);

    it('copies what a failed flush could not store to the log, each event once, and nothing the store took', async () => {
      const store = await SqlLedgerStore.open(openSqlite(':memory:'));
      const flaky = new FlakyStore(store);
      const texts: string[] = [];
      let clock = 0;
      const b = new LedgerBatcher({ store: flaky, logger: silentLogger, batchSize: 50, flushIntervalMs: 60_000, maxBuffer: 1000, spillPath: join(tmp(), 'spill.jsonl'), retryIntervalMs: 1000, now: () => clock, copyUnstored: (t) => texts.push(t) });
      const all = events(6);
      b.enqueue(all[0] as UsageEvent);
      await b.flush();
      expect(texts).toEqual([]); // stored: nothing to copy
      flaky.down = true;
      b.enqueue(all[1] as UsageEvent);
      b.enqueue(all[2] as UsageEvent);
      await b.flush();
      expect(copied(texts)).toEqual([all[1]?.id, all[2]?.id]);
      b.enqueue(all[3] as UsageEvent);
      clock += 1000;
      await b.flush();
      expect(copied(texts)).toEqual([all[1]?.id, all[2]?.id, all[3]?.id]); // the earlier ones not again
      flaky.down = false;
      clock += 1000;
      b.enqueue(all[4] as UsageEvent);
      await b.flush();
      expect(texts).toHaveLength(2);
      expect(await count(store)).toBe(5); // the copies are a safety net; the queue still reached the store
      await b.close();
      await store.close();
    });

    it('gives up waiting for a store that hangs after timeoutMs: the flush rejects and copies its events once, and the store still gets them', async () => {
      const inner = await SqlLedgerStore.open(openSqlite(':memory:'));
      const held = gate(inner);
      const texts: string[] = [];
      const b = new LedgerBatcher({ store: held.store, logger: silentLogger, batchSize: 50, flushIntervalMs: 60_000, maxBuffer: 1000, spillPath: join(tmp(), 'spill.jsonl'), retryIntervalMs: 1000, copyUnstored: (t) => texts.push(t) });
      const all = events(2);
      b.enqueue(all[0] as UsageEvent);
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const flushed = b.flush(6_000);
      const settled = flushed.catch(() => undefined);
      await vi.advanceTimersByTimeAsync(5_999);
      expect(texts).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      await expect(flushed).rejects.toThrow('ledger flush still unfinished after 6000 ms');
      await settled;
      vi.useRealTimers();
      expect(copied(texts)).toEqual([all[0]?.id]);
      // The round goes on: once the store answers, the event is stored (the copy is harmless: ids are idempotent).
      b.enqueue(all[1] as UsageEvent);
      held.release();
      const next = b.flush();
      await vi.waitFor(() => expect(held.sizes).toEqual([1, 1]));
      held.release();
      await next;
      expect(await count(inner)).toBe(2);
      expect(copied(texts)).toEqual([all[0]?.id]);
      await b.close();
      await inner.close();
    });

    it('copies, and still rejects, when the round itself fails', async () => {
      class FailingSeal extends Journal {
        fail = false;
        override seal(): number {
          if (this.fail) throw new Error('disk full');
          return super.seal();
        }
      }
      const texts: string[] = [];
      const journal = new FailingSeal(tmp());
      const store = await SqlLedgerStore.open(openSqlite(':memory:'));
      const b = new LedgerBatcher({ store, journal, logger: silentLogger, batchSize: 10, flushIntervalMs: 60_000, maxBuffer: 100, spillPath: join(tmp(), 'spill.jsonl'), retryIntervalMs: 10, copyUnstored: (t) => texts.push(t) });
      await b.flush();
      journal.fail = true;
      const [event] = events(1);
      b.enqueue(event as UsageEvent);
      await expect(b.flush()).rejects.toThrow('disk full');
      expect(copied(texts)).toEqual([event?.id]);
      await store.close();
    });
  });

  it('spills on close while the database is down and replays on the next start', async () => {
    const store = await SqlLedgerStore.open(openSqlite(':memory:'));
    const flaky = new FlakyStore(store);
    const spillPath = join(tmp(), 'spill.jsonl');
    const opts = { logger: silentLogger, batchSize: 50, flushIntervalMs: 5, maxBuffer: 1000, spillPath, retryIntervalMs: 10 };
    const first = new LedgerBatcher({ store: flaky, ...opts });
    flaky.down = true;
    for (const e of events(120)) first.enqueue(e);
    await first.close(50);
    expect(existsSync(spillPath)).toBe(true);
    expect(await count(store)).toBe(0);
    const second = new LedgerBatcher({ store, ...opts });
    await second.flush();
    expect(await count(store)).toBe(120);
    expect(second.stats().replayed).toBe(120);
    await second.close();
    await store.close();
  });
});

describe('ledger batcher replaying a spill file or journal segment with a corrupt line in the middle', () => {
  // JSON that is no ledger row: a torn line glued to the next, a zeroed block, a hand-edited file.
  for (const bad of ['null', '{}', '[1,2,3]', '{"id":"a"}', '["0001:r:1",17']) {
    it(`stores the good lines around ${bad}, sets it aside, and keeps writing new events`, async () => {
      const store = await SqlLedgerStore.open(openSqlite(':memory:'));
      const spillPath = join(tmp(), 'spill.jsonl');
      const [a, b, c] = events(3) as [UsageEvent, UsageEvent, UsageEvent];
      writeFileSync(spillPath, `${journalLine(a)}${bad}\n${journalLine(b)}`);
      const batcher = new LedgerBatcher({ store, logger: silentLogger, batchSize: 50, flushIntervalMs: 60_000, maxBuffer: 1000, spillPath, retryIntervalMs: 10 });
      batcher.enqueue(c);
      await batcher.flush();
      expect(batcher.stats()).toMatchObject({ storeDown: false, queued: 0, replayed: 2, written: 1 });
      expect(await count(store)).toBe(3);
      expect(existsSync(spillPath) || existsSync(`${spillPath}.replaying`)).toBe(false);
      expect(readFileSync(`${spillPath}.rejected`, 'utf8')).toBe(`${bad}\n`);
      await batcher.close();
      await store.close();
    });
  }

  it('sets aside a corrupt line of a dead process\'s journal segment and replays the rest', async () => {
    const store = await SqlLedgerStore.open(openSqlite(':memory:'));
    const dir = join(tmp(), 'journal');
    mkdirSync(dir);
    const [a, b] = events(2) as [UsageEvent, UsageEvent];
    writeFileSync(join(dir, '999999999-dead-00000000.jsonl'), `${journalLine(a)}{"id":"x","ts":"soon"}\n${journalLine(b)}`);
    const spillPath = join(tmp(), 'spill.jsonl');
    const batcher = new LedgerBatcher({ store, journal: new Journal(dir), logger: silentLogger, batchSize: 50, flushIntervalMs: 60_000, maxBuffer: 1000, spillPath, retryIntervalMs: 10 });
    await batcher.flush();
    expect(batcher.stats()).toMatchObject({ storeDown: false, replayed: 2 });
    expect(await count(store)).toBe(2);
    expect(readFileSync(`${spillPath}.rejected`, 'utf8')).toBe('{"id":"x","ts":"soon"}\n');
    await batcher.close();
    await store.close();
  });
});

const PG_URL = DATABASE_URL;
if (PG_URL) {
  describe('ledger batcher against PostgreSQL', () => {
    const schema = testSchema('ledger_batch');
    const admin = new pg.Client({ connectionString: PG_URL });

    afterEach(async () => {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await admin.end().catch(() => undefined);
    });

    it('counts every record after the database is killed mid-stream (backends terminated, then unreachable)', async () => {
      await admin.connect();
      const url = new URL(PG_URL);
      const proxy = new TcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
      await proxy.start();
      url.host = `127.0.0.1:${proxy.port}`;
      const appName = `ledger-kill-${process.pid}`;
      url.searchParams.set('application_name', appName);
      const store = await SqlLedgerStore.open(openPostgres(url.toString(), schema, silentLogger));
      const spillPath = join(tmp(), 'spill.jsonl');
      const b = new LedgerBatcher({ store, logger: silentLogger, batchSize: 100, flushIntervalMs: 5, maxBuffer: 300, spillPath, retryIntervalMs: 25 });
      const all = events(4000);
      for (let i = 0; i < all.length; i += 1) {
        if (i === 1000) await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [appName]);
        if (i === 2000) await proxy.stop();
        if (i === 3200) await proxy.start();
        b.enqueue(all[i] as UsageEvent);
        if (i % 100 === 0) await sleep(3);
      }
      expect(b.stats().failures).toBeGreaterThan(0);
      expect(b.stats().spilled).toBeGreaterThan(0);
      await b.close(5000);
      const rows = await admin.query(`SELECT COUNT(*)::int AS n, COUNT(DISTINCT id)::int AS d FROM "${schema}".usage_events`);
      expect(rows.rows[0]).toEqual({ n: 4000, d: 4000 });
      await store.close();
      await proxy.stop();
    });
  });
} else {
  describe.skip('ledger batcher against PostgreSQL (DATABASE_URL is not set)', () => {
    it('skipped', () => undefined);
  });
}
