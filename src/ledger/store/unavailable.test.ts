import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { DATABASE_URL } from '../testing/fixtures.js';
import { openPostgres } from './postgres-driver.js';
import { openSqlite } from './sqlite-driver.js';
import { isDatabaseUnavailable } from './unavailable.js';

const thrown = (fn: () => unknown): Promise<unknown> => Promise.resolve().then(fn).then(() => undefined, (err: unknown) => err);

describe('isDatabaseUnavailable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-unavailable-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is false for a bug or a bad statement: a TypeError, a SQL error, a constraint, a plain Error', async () => {
    const sqlite = openSqlite(':memory:');
    await sqlite.query('CREATE TABLE t (id TEXT PRIMARY KEY)');
    await sqlite.query('INSERT INTO t VALUES (?)', ['a']);
    const bugs = [
      await thrown(() => (undefined as unknown as { rows: unknown[] }).rows.length),
      await thrown(() => sqlite.query('SELEC 1')),
      await thrown(() => sqlite.query('SELECT * FROM missing_table')),
      await thrown(() => sqlite.query('INSERT INTO t VALUES (?)', ['a'])),
      new Error('something else'),
      'a string',
      undefined,
    ];
    expect(bugs.map(isDatabaseUnavailable)).toEqual(bugs.map(() => false));
    await sqlite.close();
  });

  it('is true for a SQLite database that is locked, busy or cannot be opened', async () => {
    const path = join(dir, 'locked.sqlite');
    const holder = new Database(path);
    holder.exec('CREATE TABLE t (id TEXT)');
    holder.exec('BEGIN EXCLUSIVE');
    const other = new Database(path, { timeout: 0 });
    const busy = await thrown(() => other.exec('INSERT INTO t VALUES (1)'));
    holder.exec('ROLLBACK');
    other.close();
    holder.close();
    // A directory where the file should be.
    const cantOpen = await thrown(() => new Database(dir));
    expect([busy, cantOpen].map((e) => (e as { code?: string }).code)).toEqual(['SQLITE_BUSY', 'SQLITE_CANTOPEN']);
    expect([busy, cantOpen].map(isDatabaseUnavailable)).toEqual([true, true]);
    expect(isDatabaseUnavailable(Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('database table is locked'), { code: 'SQLITE_LOCKED_SHAREDCACHE' }))).toBe(true);
  });

  it('is true for a SQLite database whose disk is full (SQLITE_FULL), which no write can go into', async () => {
    const sqlite = openSqlite(':memory:');
    await sqlite.query('CREATE TABLE t (b BLOB)');
    const [{ page_count: pages }] = (await sqlite.query('PRAGMA page_count')).rows as [{ page_count: number }];
    // The file may not grow past its current pages: what a full disk does to the next page written.
    await sqlite.query(`PRAGMA max_page_count = ${pages}`);
    const full = await thrown(() => sqlite.query('INSERT INTO t VALUES (?)', [Buffer.alloc(100_000)]));
    const read = await sqlite.query('SELECT count(*) AS n FROM t');
    await sqlite.close();
    expect((full as { code?: string }).code).toBe('SQLITE_FULL');
    expect(isDatabaseUnavailable(full)).toBe(true);
    expect(read.rows).toEqual([{ n: 0 }]);
  });

  it('is true for socket, DNS and PostgreSQL server-state failures, also as the cause or member of another error', () => {
    const coded = (code: string): Error => Object.assign(new Error(code), { code });
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', '08006', '08P01', '57P01', '57P02', '57P03', '57014', '53100', '53200', '53300']) {
      expect(isDatabaseUnavailable(coded(code)), code).toBe(true);
    }
    for (const code of ['42601', '23505', '22001', '53400', 'SQLITE_CONSTRAINT', 'SQLITE_ERROR', 'SQLITE_TOOBIG', 'ERR_INVALID_ARG_TYPE']) {
      expect(isDatabaseUnavailable(coded(code)), code).toBe(false);
    }
    expect(isDatabaseUnavailable(new Error('Connection terminated due to connection timeout', { cause: new Error('timeout expired') }))).toBe(true);
    expect(isDatabaseUnavailable(new Error('wrapped', { cause: coded('ECONNRESET') }))).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')]))).toBe(true);
  });

  it('is true for what pg throws when nothing listens', async () => {
    const driver = openPostgres('postgres://postgres@127.0.0.1:1/test', 'public', silentLogger);
    const err = await thrown(() => driver.query('SELECT 1'));
    await driver.close();
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it.runIf(DATABASE_URL)('is true for a query past ledger.query_timeout_ms, false for PostgreSQL refusing the statement', async () => {
    const driver = openPostgres(DATABASE_URL as string, 'public', silentLogger, { queryTimeoutMs: 100 });
    const late = await thrown(() => driver.query('SELECT pg_sleep(2)'));
    const bad = await thrown(() => driver.query('SELECT * FROM no_such_table_for_unavailable_spec'));
    await driver.close();
    expect((late as Error).message).toBe('Query read timeout');
    expect([isDatabaseUnavailable(late), isDatabaseUnavailable(bad)]).toEqual([true, false]);
  });

  it.runIf(DATABASE_URL)("is true for a statement PostgreSQL cancelled at its statement_timeout (57014)", async () => {
    const driver = openPostgres(DATABASE_URL as string, 'public', silentLogger);
    // One simple-protocol round trip: the SET and the sleep run on the same session.
    const cancelled = await thrown(() => driver.query("SET statement_timeout = '100ms'; SELECT pg_sleep(2)"));
    await driver.close();
    expect((cancelled as { code?: string }).code).toBe('57014');
    expect(isDatabaseUnavailable(cancelled)).toBe(true);
  });
});
