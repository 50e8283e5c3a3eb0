import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSqlite } from './sqlite-driver.js';
import { SqliteWriter, WAL_LIMIT_BYTES } from './sqlite-writer.js';
import { isDatabaseUnavailable } from './unavailable.js';

const thrown = (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (err: unknown) => err);

const MB = 1024 * 1024;

/** A batch of 1,000 rows of 4 KB each: about 4 MB of WAL, one commit on the writer thread. */
const batch = (from: number): unknown[][] => Array.from({ length: 1000 }, (_, i) => [from + i, 'x'.repeat(4000)]);

describe('the SQLite writer thread', () => {
  it('cuts the WAL file back to 8 MB on the writer\'s next commits once a long read that held it from being reset ends', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sqlite-wal-')), 'ledger.sqlite');
    const driver = openSqlite(path);
    const wal = () => statSync(`${path}-wal`).size;
    try {
      await driver.query('CREATE TABLE pages (id INTEGER PRIMARY KEY, text TEXT NOT NULL)');
      // A report's snapshot: a read transaction open while the writer commits.
      const report = new Database(path, { readonly: true });
      report.exec('BEGIN');
      report.prepare('SELECT COUNT(*) AS n FROM pages').get();
      for (let i = 0; i < 6; i++) await driver.insertRows('pages', ['id', 'text'], 'id', batch(i * 1000));
      // The writer's checkpoints cannot pass the snapshot, so the WAL holds every batch.
      expect(wal()).toBeGreaterThan(20 * MB);
      report.exec('COMMIT');
      report.close();
      // The next commit checkpoints all of it; the one after starts the WAL over and cuts the file.
      for (let i = 6; i < 8; i++) await driver.insertRows('pages', ['id', 'text'], 'id', batch(i * 1000));
      expect(wal()).toBeLessThanOrEqual(WAL_LIMIT_BYTES);
      expect((await driver.query('SELECT COUNT(*) AS n FROM pages')).rows).toEqual([{ n: 8000 }]);
    } finally {
      await driver.close();
    }
  }, 30_000);

  it('runs a batch in slices with a pause between them, still as one transaction', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sqlite-pacing-')), 'ledger.sqlite');
    const setup = new Database(path);
    setup.pragma('journal_mode = WAL');
    setup.exec('CREATE TABLE rows_ (id INTEGER PRIMARY KEY, text TEXT NOT NULL)');
    const count = (): unknown => setup.prepare('SELECT COUNT(*) AS n FROM rows_').get();
    // Seven rows in slices of two: three pauses of 40 ms between the four slices.
    const writer = new SqliteWriter(path, { sliceRows: 2, pauseMs: 40 });
    const sql = 'INSERT INTO rows_ (id, text) VALUES (?, ?)';
    try {
      const started = performance.now();
      await expect(writer.insert(sql, Array.from({ length: 7 }, (_, i) => [i, `row ${i}`]))).resolves.toBe(7);
      expect(performance.now() - started).toBeGreaterThanOrEqual(115);
      expect(count()).toEqual({ n: 7 });
      // A row refused in the last slice takes the slices before it back with it.
      const refused = [...Array.from({ length: 6 }, (_, i) => [10 + i, `row ${10 + i}`]), [16, null]];
      await expect(writer.insert(sql, refused)).rejects.toThrow(/NOT NULL/);
      expect(count()).toEqual({ n: 7 });
    } finally {
      await writer.close();
      setup.close();
    }
  });

  it('fails a batch another connection kept from the file past busy_timeout with SQLITE_BUSY, an outage rather than a bug, and writes the next once the lock is gone', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sqlite-busy-')), 'ledger.sqlite');
    const holder = new Database(path);
    holder.pragma('journal_mode = WAL');
    holder.exec('CREATE TABLE rows_ (id INTEGER PRIMARY KEY)');
    const writer = new SqliteWriter(path);
    const sql = 'INSERT INTO rows_ (id) VALUES (?)';
    try {
      // Another process's write lock (a backup, a sqlite3 shell), held past the writer's 5 s busy_timeout.
      holder.exec('BEGIN IMMEDIATE');
      const err = await thrown(writer.insert(sql, [[1]]));
      holder.exec('ROLLBACK');
      expect(err).toMatchObject({ code: 'SQLITE_BUSY' });
      expect(isDatabaseUnavailable(err)).toBe(true);
      await expect(writer.insert(sql, [[1]])).resolves.toBe(1);
    } finally {
      await writer.close();
      holder.close();
    }
  }, 20_000);

  it('fails a batch whose file it cannot open with an Error of SQLite\'s code (SQLITE_CANTOPEN), an outage rather than a bug', async () => {
    // A directory where the file should be: the thread fails as it starts.
    const writer = new SqliteWriter(mkdtempSync(join(tmpdir(), 'sqlite-cantopen-')));
    const err = await thrown(writer.insert('INSERT INTO rows_ (id) VALUES (?)', [[1]]));
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: 'SQLITE_CANTOPEN', message: 'the SQLite writer thread failed (SQLITE_CANTOPEN)' });
    expect(isDatabaseUnavailable(err)).toBe(true);
  });
});
