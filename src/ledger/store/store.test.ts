import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import pg from 'pg';
import { silentLogger } from '../../core/logger.js';
import { makeUsage } from '../../core/types.js';
import { toUsageEvent } from '../event.js';
import { journalLine, ledgerRow } from '../journal-line.js';
import { attempt, DATABASE_URL, events, fallbackEvents, testSchema } from '../testing/fixtures.js';
import { openSeeded, seedUsage, SEED_FROM } from '../testing/big-ledger.js';
import { buildReport } from '../report/build.js';
import { openPostgres } from './postgres-driver.js';
import { openSqlite } from './sqlite-driver.js';
import { COLUMNS, SqlLedgerStore } from './sql-store.js';
import { migrate } from './migrations.js';
import type { SqlDriver } from './driver.js';

const DAY = Date.parse('2025-06-01T00:00:00Z');
const ALL = { from: DAY - 86_400_000, to: DAY + 10 * 86_400_000 };

/** One suite, run against every store: the query layer must answer the same on both. */
function storeSuite(name: string, open: () => Promise<SqlDriver>, cleanup: () => Promise<void> = async () => undefined) {
  describe(`ledger store on ${name}`, () => {
    let driver: SqlDriver;
    let store: SqlLedgerStore;
    beforeAll(async () => {
      driver = await open();
      store = await SqlLedgerStore.open(driver);
    });
    afterAll(async () => {
      await store?.close();
      await cleanup();
    });

    it('runs migrations once, then finds nothing to do', async () => {
      expect(await migrate(driver)).toEqual([]);
    });

    it('inserts idempotently: the same event ids never count twice', async () => {
      const batch = events(30);
      expect(await store.insert(batch)).toBe(30);
      expect(await store.insert(batch.slice(0, 10))).toBe(0);
      const [total] = await store.summarize({ ...ALL, groupBy: [] });
      expect(total?.attempts).toBe(30);
      expect(total?.costUsd).toBeCloseTo(0.03, 10);
    });

    it('inserts batches of every size through one statement shape, idempotently', async () => {
      // A batch size per flush used to mean a prepared multi-row statement per size (RSS grew by ~1 MB each).
      const mine = events(60, 0.001, DAY + 20 * 86_400_000).map((e) => ({ ...e, id: `sizes-${e.id}` }));
      let inserted = 0;
      for (let size = 1, at = 0; at < mine.length; at += size, size += 1) inserted += await store.insert(mine.slice(at, at + size));
      expect(inserted).toBe(60);
      expect(await store.insert(mine)).toBe(0);
      const [total] = await store.summarize({ from: DAY + 20 * 86_400_000, to: DAY + 30 * 86_400_000, groupBy: [] });
      expect(total?.attempts).toBe(60);
    });

    it('inserts events given as journal lines exactly as it inserts the events, idempotently', async () => {
      const day = DAY + 40 * 86_400_000;
      const hit = toUsageEvent(attempt({ requestId: 'lines-hit', startedAt: day, cacheHit: true, quotaHeadroom: 0.5, tags: { key: 'k9', app: 'a"b' } }), { usd: 0, priced: true });
      const mine = [...events(5, 0.002, day).map((e) => ({ ...e, id: `lines-${e.id}` })), hit];
      const lines = mine.map(journalLine);
      expect(await store.insertLines(lines)).toBe(6);
      expect(await store.insertLines(lines)).toBe(0);
      const [total] = await store.summarize({ from: day, to: day + 5 * 86_400_000, groupBy: [] });
      expect([total?.attempts, total?.cacheHits]).toEqual([6, 1]);
      expect(total?.costUsd).toBeCloseTo(0.01, 10);
      const byApp = await store.summarize({ from: day, to: day + 5 * 86_400_000, groupBy: ['tag:app'] });
      expect(byApp.map((r) => r.keys['tag:app']).sort()).toEqual(['a"b', null].sort());
    });

    it('keeps the one-hour part of cache writes, from journal lines and events alike, and sums it per group', async () => {
      const day = DAY + 50 * 86_400_000;
      const write = (requestId: string, deployment: string, cachedWrite1h: number | undefined) =>
        toUsageEvent(attempt({ requestId, startedAt: day, deployment, usage: makeUsage({ prompt: 1000, cachedWrite: 400, cachedWrite1h, completion: 10 }) }), { usd: 0.01, priced: true });
      expect(await store.insertLines([write('w1', 'hour', 300), write('w2', 'hour', 400)].map(journalLine))).toBe(2);
      expect(await store.insert([write('w3', 'five', undefined), write('w4', 'hour', 100)])).toBe(2);
      const rows = await store.summarize({ from: day, to: day + 86_400_000, groupBy: ['deployment'] });
      expect(rows.map((r) => [r.keys.deployment, r.cachedWriteTokens, r.cachedWrite1hTokens]).sort()).toEqual([
        ['five', 400, 0],
        ['hour', 1200, 800],
      ]);
    });

    it('groups by provider, day, key and a free-form tag', async () => {
      const byProvider = await store.summarize({ ...ALL, groupBy: ['provider'] });
      expect(byProvider.map((r) => [r.keys.provider, r.attempts])).toEqual([
        ['bedrock', 10],
        ['openai', 10],
        ['vertex', 10],
      ]);
      const byDay = await store.summarize({ ...ALL, groupBy: ['day'] });
      expect(byDay.map((r) => r.keys.day).sort()).toEqual(['2025-06-01', '2025-06-02', '2025-06-03']);
      const byTag = await store.summarize({ ...ALL, groupBy: ['key', 'tag:project'] });
      expect(byTag.map((r) => `${r.keys.key}/${r.keys['tag:project']}=${r.attempts}`).sort()).toEqual(['k1/alpha=15', 'k2/beta=15']);
    });

    it('filters by date range (end exclusive) and by dimension', async () => {
      const [day1] = await store.summarize({ from: DAY, to: DAY + 86_400_000, groupBy: [] });
      expect(day1?.attempts).toBe(10);
      const [k1] = await store.summarize({ ...ALL, groupBy: [], filter: { key: 'k1' } });
      expect(k1?.attempts).toBe(15);
    });

    it('keeps unpriced usage apart instead of costing it at zero', async () => {
      const e = toUsageEvent(attempt({ requestId: 'unpriced', startedAt: DAY + 5 * 86_400_000, model: 'mystery' }), { usd: undefined, priced: false });
      await store.insert([e]);
      const [row] = await store.summarize({ from: DAY + 5 * 86_400_000, to: DAY + 6 * 86_400_000, groupBy: ['model'] });
      expect(row).toMatchObject({ keys: { model: 'mystery' }, costUsd: 0, unpricedAttempts: 1, promptTokens: 1000 });
    });

    it('keeps each attempt’s quota headroom and reports the lowest per deployment (none without a quota)', async () => {
      const at = DAY + 7 * 86_400_000;
      const ev = (id: string, deployment: string, quotaHeadroom: number | undefined) =>
        toUsageEvent(attempt({ requestId: id, startedAt: at, deployment, quotaHeadroom }), { usd: 0.001, priced: true });
      await store.insert([ev('q1', 'quota', 0.75), ev('q2', 'quota', 0.25), ev('q3', 'quota', 0.5), ev('q4', 'plain', undefined)]);
      const rows = await store.summarize({ from: at, to: at + 86_400_000, groupBy: ['deployment'] });
      expect(rows.map((r) => [r.keys.deployment, r.minQuotaHeadroom])).toEqual([
        ['quota', 0.25],
        ['plain', undefined],
      ]);
    });

    it('groups and filters by an attempt’s role, so shadow copies stay apart from retries and fallbacks', async () => {
      const at = DAY + 90 * 86_400_000;
      const shadow = toUsageEvent(attempt({ requestId: 'fb-1', startedAt: at + 1, deployment: 'c', role: 'shadow' }), { usd: 0.01, priced: true });
      const retry = toUsageEvent(attempt({ requestId: 'rt-1', attempt: 2, startedAt: at + 2, deployment: 'a', role: 'retry' }), { usd: 0.01, priced: true });
      await store.insert([...fallbackEvents(at), shadow, retry]);
      const range = { from: at, to: at + 86_400_000 };
      const byRole = await store.summarize({ ...range, groupBy: ['role'] });
      expect(byRole.map((r) => [r.keys.role, r.attempts]).sort()).toEqual([
        ['fallback', 2],
        ['primary', 3],
        ['retry', 1],
        ['shadow', 1],
      ]);
      const [shadows] = await store.summarize({ ...range, groupBy: ['deployment'], filter: { role: 'shadow' } });
      expect([shadows?.keys.deployment, shadows?.attempts]).toEqual(['c', 1]);
    });

    it('counts a request that fell back across deployments once in a report total, though it is a row of each', async () => {
      const at = DAY + 80 * 86_400_000;
      await store.insert(fallbackEvents(at));
      const report = await buildReport(store, { from: at, to: at + 86_400_000, groupBy: ['deployment'] });
      expect(report.rows.map((r) => [r.keys.deployment, r.requests, r.attempts])).toEqual([
        ['b', 2, 2],
        ['a', 3, 3],
      ]);
      expect([report.total.requests, report.total.attempts, report.total.errors]).toEqual([3, 5, 2]);
      expect(report.total.costUsd).toBeCloseTo(0.03, 10);
    });
  });
}

storeSuite('SQLite', async () => openSqlite(':memory:'));

const fileDir = mkdtempSync(join(tmpdir(), 'ledger-store-'));
storeSuite('SQLite with the writer thread', async () => openSqlite(join(fileDir, 'ledger.sqlite')), async () => rmSync(fileDir, { recursive: true, force: true }));

describe('SQLite writer thread', () => {
  it('inserts on a writer thread: a held write lock delays a batch without blocking the event loop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-writer-'));
    const path = join(dir, 'ledger.sqlite');
    const store = await SqlLedgerStore.open(openSqlite(path));
    const batch = events(50);
    expect(await store.insert(batch.slice(0, 1))).toBe(1);
    const blocker = new Database(path);
    blocker.exec('BEGIN IMMEDIATE');
    let stored: number | undefined;
    const inserting = store.insert(batch.slice(1)).then((n) => (stored = n));
    // Inline, this insert would hold the thread for the whole busy timeout and then fail SQLITE_BUSY.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stored).toBeUndefined();
    blocker.exec('ROLLBACK');
    expect(await inserting).toBe(49);
    blocker.close();
    // The main connection leaves WAL checkpoints to the writer thread.
    expect((await store.sql.query<{ wal_autocheckpoint: number }>('PRAGMA wal_autocheckpoint')).rows).toEqual([{ wal_autocheckpoint: 0 }]);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects a batch the writer cannot store, and the next batch gets through', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-writer-'));
    const driver = openSqlite(join(dir, 'ledger.sqlite'));
    await expect(driver.insertRows('no_such_table', ['id'], 'id', [['x']])).rejects.toThrow(/no such table/);
    const store = await SqlLedgerStore.open(driver);
    expect(await store.insert(events(3))).toBe(3);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

/**
 * A ledger of the schema before the one-hour cache-write column (version 10), with rows as that build
 * inserted them, migrated by this one: the column appears and those rows read 0 one-hour writes.
 */
function oneHourMigrationSuite(name: string, open: () => Promise<SqlDriver>, cleanup: () => Promise<void> = async () => undefined) {
  describe(`the one-hour cache-write column on ${name}`, () => {
    afterAll(cleanup);

    it('migrates a ledger of the previous schema with rows in it, which read 0 one-hour writes, and stores the split of new rows', async () => {
      const driver = await open();
      expect(await migrate(driver, 10)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      const old = events(4, 0.002).map((e) => ({ ...e, cachedWriteTokens: 50 }));
      const earlier = COLUMNS.filter((c) => c !== 'cached_write_1h_tokens');
      expect(await driver.insertRows(driver.table('usage_events'), earlier, 'id', old.map((e) => ledgerRow(e).slice(0, earlier.length)))).toBe(4);
      const store = await SqlLedgerStore.open(driver);
      try {
        expect(await migrate(driver)).toEqual([]);
        const stored = await driver.query<{ v: unknown }>(`SELECT cached_write_1h_tokens AS v FROM ${driver.table('usage_events')}`);
        expect(stored.rows.map((r) => Number(r.v))).toEqual([0, 0, 0, 0]);
        const range = { from: DAY - 86_400_000, to: DAY + 10 * 86_400_000 };
        expect((await store.summarize({ ...range, groupBy: [] }))[0]).toMatchObject({ attempts: 4, cachedWriteTokens: 200, cachedWrite1hTokens: 0 });
        const split = toUsageEvent(attempt({ requestId: 'after', startedAt: DAY, usage: makeUsage({ prompt: 1000, cachedWrite: 400, cachedWrite1h: 300, completion: 10 }) }), { usd: 0.01, priced: true });
        expect(await store.insertLines([journalLine(split)])).toBe(1);
        expect((await store.summarize({ ...range, groupBy: [] }))[0]).toMatchObject({ attempts: 5, cachedWriteTokens: 600, cachedWrite1hTokens: 300 });
      } finally {
        await store.close();
      }
    });
  });
}

const migrationDir = mkdtempSync(join(tmpdir(), 'ledger-1h-'));
oneHourMigrationSuite('SQLite', async () => openSqlite(join(migrationDir, 'ledger.sqlite')), async () => rmSync(migrationDir, { recursive: true, force: true }));

const PG_URL = DATABASE_URL;
if (PG_URL) {
  const schema = testSchema('ledger_store');
  const dropSchema = (name: string) => async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
    await c.end();
  };
  storeSuite('PostgreSQL', async () => openPostgres(PG_URL, schema, silentLogger), dropSchema(schema));
  const older = testSchema('ledger_1h');
  oneHourMigrationSuite('PostgreSQL', async () => openPostgres(PG_URL, older, silentLogger), dropSchema(older));
} else {
  describe.skip('ledger store on PostgreSQL (DATABASE_URL is not set)', () => {
    it('skipped', () => undefined);
  });
}

describe('usage summary order', () => {
  it('puts the dearest group first and ties in the locale order of their keys, making each group\'s key text once rather than twice per comparison', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'summary-order-')), 'ledger.sqlite');
    await seedUsage(path, 20_000);
    const store = await openSeeded(path, { reads: 'inline', inserts: 'inline' });
    const stringify = vi.spyOn(JSON, 'stringify');
    try {
      const rows = await store.summarize({ from: SEED_FROM, to: SEED_FROM + 30 * 86_400_000, groupBy: ['user', 'key', 'day'] });
      const texts = stringify.mock.calls.length;
      stringify.mockRestore();
      expect(rows).toHaveLength(5_100);
      // With the text made in the comparator, sorting these 5,100 groups took 14,136 JSON.stringify calls.
      expect(texts).toBeLessThanOrEqual(rows.length);
      const keyText = (r: (typeof rows)[number]) => JSON.stringify(Object.values(r.keys));
      expect(rows).toEqual([...rows].sort((a, b) => b.costUsd - a.costUsd || keyText(a).localeCompare(keyText(b))));
    } finally {
      stringify.mockRestore();
      await store.close();
    }
  });
});
