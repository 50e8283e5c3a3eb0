import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ledgerSpend } from '../budgets/seed.js';
import { longestStall, openSeeded, seedUsage, SEED_FROM } from '../testing/big-ledger.js';
import type { Dimension, UsageQuery } from './query.js';
import { openSqlite } from './sqlite-driver.js';
import { isDatabaseUnavailable } from './unavailable.js';

const DAY = 86_400_000;
const MONTH = { from: SEED_FROM, to: SEED_FROM + 30 * DAY };

/** How long `work` takes. */
async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await work();
  return { ms: performance.now() - start, value };
}

/** A read that never ends by itself: it counts towards 10^12, calling the reader's row check at each step. */
const ENDLESS = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000000 AND switchyard_live()) SELECT COUNT(*) AS n FROM c";

describe('SQLite ledger reads on the reader thread', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'sqlite-reader-')), 'ledger.sqlite');
  beforeAll(() => seedUsage(path, 200_000), 60_000);

  it('summarises 200,000 events while the event loop keeps turning (no timer late by more than a few ms)', async () => {
    const store = await openSeeded(path);
    try {
      // Warm the thread and its connection: the first read starts them.
      await store.summarize({ ...MONTH, from: MONTH.to, groupBy: [] });
      const query = timed(() => store.summarize({ ...MONTH, groupBy: ['day', 'provider', 'status'] }));
      const stall = await longestStall(query);
      const { ms, value } = await query;
      // 30 days x 7 providers, each day's events of one parity, so half the status pairs.
      expect(value).toHaveLength(315);
      // The query is long (hundreds of ms to seconds) and the loop was never held for a fraction of it.
      expect(ms).toBeGreaterThan(200);
      // Measured ~6 ms (1 ms timers on a busy 2-core machine); on the event loop it was the whole query.
      // A loaded machine (CI beside other work) delays timers too, so the bound is a share of the query.
      expect(stall).toBeLessThan(Math.max(50, ms / 4));
    } finally {
      await store.close();
    }
  }, 60_000);

  it('answers exactly what the same query answers on the event loop, for groupings, tags, filters and an empty range', async () => {
    const small = join(mkdtempSync(join(tmpdir(), 'sqlite-reader-same-')), 'ledger.sqlite');
    await seedUsage(small, 20_000);
    const threaded = await openSeeded(small);
    const inline = await openSeeded(small, { reads: 'inline', inserts: 'inline' });
    try {
      const groupings: Dimension[][] = [[], ['provider'], ['key', 'day'], ['tag:project', 'team'], ['tag:absent', 'status', 'role', 'operation', 'group', 'region']];
      const queries: UsageQuery[] = [
        ...groupings.map((groupBy) => ({ ...MONTH, groupBy })),
        { from: SEED_FROM + 3 * DAY, to: SEED_FROM + 5 * DAY, groupBy: ['model'], filter: { key: 'k7' } },
        { ...MONTH, groupBy: ['key'], filter: { status: 'error', team: 't3' } },
        { from: 0, to: 1, groupBy: ['provider'] },
      ];
      for (const q of queries) expect(await threaded.summarize(q), JSON.stringify(q)).toEqual(await inline.summarize(q));
    } finally {
      await threaded.close();
      await inline.close();
    }
  }, 60_000);

  it('stops a read past query_timeout_ms with SQLITE_INTERRUPT (the database cannot serve), ends its thread and answers the next read at once', async () => {
    // Long enough for the next read's new thread to start within it on a loaded machine (it failed at 150).
    const driver = openSqlite(path, { queryTimeoutMs: 400 });
    try {
      const err = await driver.readMany!(ENDLESS).then(() => undefined, (e: unknown) => e as Error & { code?: string });
      expect([err?.code, err?.message]).toEqual(['SQLITE_INTERRUPT', 'ledger query unanswered after 400 ms (ledger.query_timeout_ms); it was stopped']);
      expect(isDatabaseUnavailable(err)).toBe(true);
      // The stopped thread spins no more: the process spends next to no CPU while it waits.
      const cpu = process.cpuUsage();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const spent = process.cpuUsage(cpu);
      expect((spent.user + spent.system) / 1000).toBeLessThan(150);
      const next = await timed(() => driver.readMany!('SELECT COUNT(*) AS n FROM usage_events WHERE key_id = ?', ['k1']));
      expect(next.value.rows).toEqual([{ n: 2000 }]);
      // A far bound (a new thread starts it; ~10 ms idle, more on a loaded machine): a read queued behind
      // the stopped one would fail at its own 400 ms instead of answering.
      expect(next.ms).toBeLessThan(1_000);
    } finally {
      await driver.close();
    }
  }, 30_000);

  it('fails a read still waiting behind a long one once its own time is up, with the same SQLITE_INTERRUPT', async () => {
    // Long enough for the read after them to start a new thread on a loaded machine (the stopped one is gone).
    const driver = openSqlite(path, { queryTimeoutMs: 600 });
    try {
      const [first, second] = await Promise.allSettled([driver.readMany!(ENDLESS), driver.readMany!('SELECT 1 AS one')]);
      expect([first.status, second.status]).toEqual(['rejected', 'rejected']);
      expect((second as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_INTERRUPT' });
      expect(await driver.readMany!('SELECT 1 AS one')).toEqual({ rows: [{ one: 1 }] });
    } finally {
      await driver.close();
    }
  }, 30_000);

  it('answers a budget seeding\'s spend (read on the request lane) at once while a report holds the report lane', async () => {
    const store = await openSeeded(path, { queryTimeoutMs: 10_000 });
    const report = store.sql.readMany!(ENDLESS).catch((err: unknown) => err);
    const budget = { name: 'per-key', period: 'monthly' as const, hard_usd: 100, per: 'key', match: {} };
    const seeded = await timed(() => ledgerSpend(store, budget, 'k7', MONTH.from, MONTH.to));
    await store.close();
    // k7's 2,000 events: 200 each costing $0.00007, $0.00107, ... $0.00907.
    expect(seeded.value).toBeCloseTo(9.14, 6);
    // A far bound, not a speed: behind the report it would wait out the report's 10 s.
    expect(seeded.ms).toBeLessThan(5_000);
    expect(await report).toMatchObject({ message: 'the SQLite reader is closed' });
  }, 30_000);

  it('refuses a write: the reader connection is read-only', async () => {
    const driver = openSqlite(path);
    try {
      await expect(driver.readMany!('DELETE FROM usage_events RETURNING id')).rejects.toMatchObject({ code: 'SQLITE_READONLY' });
      expect((await driver.query<{ n: number }>('SELECT COUNT(*) AS n FROM usage_events')).rows).toEqual([{ n: 200_000 }]);
    } finally {
      await driver.close();
    }
  });

});
