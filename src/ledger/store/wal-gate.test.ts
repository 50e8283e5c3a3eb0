import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { SqlDriver } from './driver.js';
import { openSqlite } from './sqlite-driver.js';
import { WAL_LIMIT_BYTES } from './sqlite-writer.js';

const MB = 1024 * 1024;

/** A report that holds its snapshot for tens of ms: one scan of the table, then a count to 300,000. */
const REPORT = `SELECT (SELECT COUNT(*) FROM pages) AS n,
  (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000 AND switchyard_live()) SELECT COUNT(*) FROM c) AS spin`;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The WAL file's size in bytes (0 while there is none). */
const walBytes = (path: string): number => statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0;

async function ledgerOfPages(queryTimeoutMs = 2_000): Promise<{ path: string; driver: SqlDriver }> {
  const path = join(mkdtempSync(join(tmpdir(), 'sqlite-wal-gate-')), 'ledger.sqlite');
  const driver = openSqlite(path, { queryTimeoutMs });
  await driver.query('CREATE TABLE pages (id INTEGER PRIMARY KEY, text TEXT NOT NULL)');
  return { path, driver };
}

/**
 * A WAL past its limit that no checkpoint can copy: another connection's snapshot, open while the
 * writer commits ~12 MB. Returns that connection, to end the snapshot with.
 */
async function heldBackWal(path: string, driver: SqlDriver): Promise<Database.Database> {
  const other = new Database(path, { readonly: true });
  other.exec('BEGIN');
  other.prepare('SELECT COUNT(*) AS n FROM pages').get();
  for (let i = 0; i < 3; i++) await driver.insertRows('pages', ['id', 'text'], 'id', Array.from({ length: 1000 }, (_, j) => [i * 1000 + j, 'x'.repeat(4000)]));
  expect(walBytes(path)).toBeGreaterThan(WAL_LIMIT_BYTES);
  return other;
}

/** Whether `promise` has settled by the next turn of the event loop after `ms`. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true), () => (settled = true));
  await sleep(ms);
  return settled;
}

describe('the WAL under reports read back to back', () => {
  it('stays bounded while a writer commits at a steady rate and two callers poll reports with no pause between them', async () => {
    const { path, driver } = await ledgerOfPages();
    const until = performance.now() + 3_000;
    let rows = 0;
    let reports = 0;
    let largest = 0;
    const writer = async (): Promise<void> => {
      // ~200 KB of WAL every ~10 ms: about 20 MB a second.
      while (performance.now() < until) {
        await driver.insertRows('pages', ['id', 'text'], 'id', Array.from({ length: 100 }, () => [rows++, 'x'.repeat(2000)]));
        await sleep(10);
      }
    };
    const poller = async (): Promise<void> => {
      while (performance.now() < until) {
        await driver.readMany!(REPORT);
        reports++;
      }
    };
    const sampler = async (): Promise<void> => {
      while (performance.now() < until) {
        largest = Math.max(largest, walBytes(path));
        await sleep(20);
      }
    };
    try {
      await Promise.all([writer(), poller(), poller(), sampler()]);
      // Measured ~9-10 MB (40-47 reports); before reports waited for a checkpoint the WAL took every
      // commit, 45-51 MB in these 3 s (31-39 reports), and kept growing as long as the polling went on.
      expect(largest, `largest WAL ${(largest / MB).toFixed(1)} MB, ${reports} reports`).toBeLessThan(2 * WAL_LIMIT_BYTES);
      expect(reports).toBeGreaterThan(10);
      expect((await driver.query('SELECT COUNT(*) AS n FROM pages')).rows).toEqual([{ n: rows }]);
    } finally {
      await driver.close();
    }
  }, 30_000);

  it('holds a report while the WAL is past its limit until the writer\'s checkpoint has copied it all, then empties the WAL', async () => {
    const { path, driver } = await ledgerOfPages();
    try {
      const other = await heldBackWal(path, driver);
      const report = driver.readMany!('SELECT COUNT(*) AS n FROM pages');
      expect(await settledWithin(report, 300)).toBe(false);
      other.exec('COMMIT');
      other.close();
      expect(await report).toEqual({ rows: [{ n: 3000 }] });
      expect(walBytes(path)).toBeLessThanOrEqual(WAL_LIMIT_BYTES);
    } finally {
      await driver.close();
    }
  }, 30_000);

  it('answers a budget seeding (the request lane) at once while reports wait for the checkpoint', async () => {
    const { path, driver } = await ledgerOfPages();
    try {
      const other = await heldBackWal(path, driver);
      const report = driver.readMany!('SELECT COUNT(*) AS n FROM pages');
      const start = performance.now();
      expect(await driver.readMany!('SELECT COUNT(*) AS n FROM pages', [], { lane: 'request' })).toEqual({ rows: [{ n: 3000 }] });
      expect(performance.now() - start).toBeLessThan(250);
      expect(await settledWithin(report, 0)).toBe(false);
      other.exec('COMMIT');
      other.close();
      await report;
    } finally {
      await driver.close();
    }
  }, 30_000);

  it('fails a report still held at its query_timeout_ms with SQLITE_INTERRUPT, the wait counted in its time', async () => {
    const { path, driver } = await ledgerOfPages(300);
    try {
      const other = await heldBackWal(path, driver);
      const start = performance.now();
      await expect(driver.readMany!('SELECT COUNT(*) AS n FROM pages')).rejects.toMatchObject({ code: 'SQLITE_INTERRUPT' });
      expect(performance.now() - start).toBeLessThan(1_000);
      other.exec('COMMIT');
      other.close();
      // The snapshot gone, the next report is answered (after the checkpoint it waits for).
      expect(await driver.readMany!('SELECT COUNT(*) AS n FROM pages')).toEqual({ rows: [{ n: 3000 }] });
    } finally {
      await driver.close();
    }
  }, 30_000);
});
