import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../config/load.js';
import { GatewayError } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { KeyStore } from '../../governance/keys/store.js';
import { fromLedger } from '../../http/ledger-query.js';
import { rawDeployment } from '../../routing/testing/fakes.js';
import type { SqlDriver } from './driver.js';
import { migrate } from './migrations.js';
import { openSqlite } from './sqlite-driver.js';
import { isDatabaseUnavailable } from './unavailable.js';

const thrown = (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (err: unknown) => err);

/** More than the free space of a table's first page: the row needs a page of its own. */
const BIG = 'x'.repeat(8_192);

describe('SQLite transactions on a full disk (SQLITE_FULL), which SQLite rolls back by itself', () => {
  let dir: string;
  let driver: SqlDriver;

  // A new file each: pages a delete freed would take a row on a "full" disk.
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-full-'));
    driver = openSqlite(join(dir, 'ledger.sqlite'));
    await driver.query('CREATE TABLE notes (body TEXT NOT NULL)');
  });

  afterEach(async () => {
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** No page beyond those the file has: SQLite answers SQLITE_FULL, as on a full disk. */
  const fillDisk = async (on: SqlDriver = driver): Promise<void> => {
    const { rows } = await on.query<{ page_count: number }>('PRAGMA page_count');
    await on.query(`PRAGMA max_page_count = ${Number(rows[0]?.page_count)}`);
  };
  const makeRoom = (): Promise<unknown> => driver.query('PRAGMA max_page_count = 1073741823');
  const notes = async (): Promise<string[]> => (await driver.query<{ body: string }>('SELECT body FROM notes')).rows.map((r) => r.body.slice(0, 5));

  it('fails with the disk-full error, an outage, not the failed ROLLBACK after it; the next transaction commits once there is room', async () => {
    await fillDisk();
    const err = await thrown(driver.transaction(1, (q) => q('INSERT INTO notes VALUES (?)', [BIG])));
    expect(err).toMatchObject({ code: 'SQLITE_FULL', message: 'database or disk is full' });
    expect(isDatabaseUnavailable(err)).toBe(true);
    await makeRoom();
    await driver.transaction(2, (q) => q('INSERT INTO notes VALUES (?)', [`after${BIG}`]));
    expect(await notes()).toEqual(['after']);
  });

  it('fails with the disk-full error even when the work swallowed it, and nothing it ran after the rollback is committed on its own', async () => {
    await fillDisk();
    const err = await thrown(
      driver.transaction(1, async (q) => {
        await q('INSERT INTO notes VALUES (?)', [BIG]).catch(() => undefined);
        // Small enough for the free space of the table's page: outside a transaction it would be stored.
        await q('INSERT INTO notes VALUES (?)', ['small']);
      }),
    );
    expect(err).toMatchObject({ code: 'SQLITE_FULL' });
    expect(await notes()).toEqual([]);
  });

  it('answers a virtual key created on a full disk (no audit log) with a 503 whose cause, the disk-full error, is logged: never a 500', async () => {
    await migrate(driver);
    const config = resolveConfig({ deployments: [rawDeployment('gpt-us')], groups: [{ name: 'chat', deployments: ['gpt-us'] }] }, {});
    const keys = new KeyStore({ driver, hmacSecret: 'x'.repeat(40), config, logger: silentLogger, refreshMs: 60_000 });
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, child: () => logger, warn: (obj, msg) => void warnings.push(`${msg ?? ''}: ${String((obj as { err?: unknown }).err)}`) };
    await fillDisk();
    const policy = { role: 'user' as const, tags: {}, budgets: [], rate_limits: {}, metadata: { note: BIG } };
    const err = await thrown(fromLedger(() => keys.create(policy, 'cli:test'), logger, 'key creation failed'));
    expect(GatewayError.isInstance(err) && [err.kind, err.status, err.code]).toEqual(['unavailable', 503, 'ledger_unavailable']);
    expect((err as Error).cause).toMatchObject({ code: 'SQLITE_FULL' });
    expect(warnings).toEqual(['key creation failed: the ledger database cannot be reached: database or disk is full']);
    await makeRoom();
    await expect(keys.create(policy, 'cli:test')).resolves.toMatchObject({ record: { role: 'user' } });
  });
});

describe('SQLite statements while a transaction holds the one connection', () => {
  let driver: SqlDriver;

  beforeEach(async () => {
    driver = openSqlite(':memory:');
    await driver.query('CREATE TABLE notes (body TEXT PRIMARY KEY)');
  });

  afterEach(() => driver.close());

  const notes = async (): Promise<string[]> => (await driver.query<{ body: string }>('SELECT body FROM notes ORDER BY body')).rows.map((r) => r.body);
  const insertRow = (body: string): Promise<number> => driver.insertRows('notes', ['body'], 'body', [[body]]);
  const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

  it("keeps another caller's writes, made while a transaction waited, when that transaction rolls back", async () => {
    let opened!: () => void;
    const isOpen = new Promise<void>((resolve) => (opened = resolve));
    const failing = thrown(
      driver.transaction(1, async (q) => {
        await q('INSERT INTO notes VALUES (?)', ['inside']);
        opened();
        await tick();
        throw new Error('the transaction failed');
      }),
    );
    await isOpen;
    const outside = Promise.all([driver.query('INSERT INTO notes VALUES (?)', ['outside query']), insertRow('outside rows')]);
    expect(await failing).toMatchObject({ message: 'the transaction failed' });
    await outside;
    expect(await notes()).toEqual(['outside query', 'outside rows']);
  });

  it('runs what its own work issues through the driver itself inside it, without waiting for itself: it sees it, and it rolls back with it', async () => {
    const err = await thrown(
      driver.transaction(1, async () => {
        await tick();
        await driver.query('INSERT INTO notes VALUES (?)', ['by query']);
        await insertRow('by rows');
        expect((await driver.query<{ body: string }>('SELECT body FROM notes ORDER BY body')).rows).toEqual([{ body: 'by query' }, { body: 'by rows' }]);
        throw new Error('the transaction failed');
      }),
    );
    expect(err).toMatchObject({ message: 'the transaction failed' });
    expect(await notes()).toEqual([]);
    await driver.transaction(2, async () => {
      await driver.query('INSERT INTO notes VALUES (?)', ['committed']);
    });
    expect(await notes()).toEqual(['committed']);
  });

  it("treats what its work left to run after it ended (a timer) as another caller's, which the next transaction's rollback keeps", async () => {
    let fired!: Promise<unknown>;
    await driver.transaction(1, async () => {
      fired = new Promise((resolve) => setTimeout(() => resolve(driver.query('INSERT INTO notes VALUES (?)', ['timer'])), 5));
    });
    const err = await thrown(
      driver.transaction(2, async (q) => {
        await q('INSERT INTO notes VALUES (?)', ['second']);
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error('the second failed');
      }),
    );
    expect(err).toMatchObject({ message: 'the second failed' });
    await fired;
    expect(await notes()).toEqual(['timer']);
  });

  it('refuses a transaction opened inside another one at once, rather than queue it behind the one waiting for it', async () => {
    const err = await thrown(driver.transaction(1, () => driver.transaction(2, (q) => q('INSERT INTO notes VALUES (?)', ['nested']))));
    expect(err).toMatchObject({ message: 'a ledger transaction cannot be opened inside another one' });
    expect(await notes()).toEqual([]);
  });

  it('refuses a statement of a transaction that has ended: it would commit on its own, or in the next transaction', async () => {
    let leaked!: SqlDriver['query'];
    await driver.transaction(1, async (q) => {
      leaked = q;
    });
    await expect(leaked('INSERT INTO notes VALUES (?)', ['late'])).rejects.toThrow('a statement of a ledger transaction that has already ended');
    let late!: Promise<unknown>;
    await thrown(
      driver.transaction(2, async () => {
        late = thrown(leaked('INSERT INTO notes VALUES (?)', ['late, in the next one']));
        await late;
        throw new Error('the next one failed');
      }),
    );
    expect(await late).toMatchObject({ message: 'a statement of a ledger transaction that has already ended' });
    expect(await notes()).toEqual([]);
  });
});
