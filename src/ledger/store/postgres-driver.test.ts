import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '../../core/logger.js';
import { PgProxy } from '../../governance/audit/testing/pg-proxy.js';
import { DATABASE_URL, events, testSchema } from '../testing/fixtures.js';
import type { SqlDriver } from './driver.js';
import { migrate } from './migrations.js';
import { openPostgres } from './postgres-driver.js';
import { SqlLedgerStore } from './sql-store.js';
import { isDatabaseUnavailable } from './unavailable.js';

const thrown = (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (err: unknown) => err);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const PG_URL = DATABASE_URL;

if (PG_URL) {
  describe('openPostgres with queryTimeoutMs (a database that accepts connections but hangs)', () => {
    const schema = testSchema('ledger_driver');
    const admin = new pg.Client({ connectionString: PG_URL });
    const drivers: SqlDriver[] = [];
    const open = (poolSize = 4): SqlDriver => {
      const driver = openPostgres(PG_URL, schema, silentLogger, { queryTimeoutMs: 300, poolSize });
      drivers.push(driver);
      return driver;
    };

    beforeAll(async () => {
      await admin.connect();
    });
    afterEach(async () => {
      await admin.query('ROLLBACK').catch(() => undefined);
      for (const driver of drivers.splice(0)) await driver.close();
    });
    afterAll(async () => {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    });

    it('fails an insert that waits on a lock another session holds once the timeout passes, and inserts again once it is released', async () => {
      const store = await SqlLedgerStore.open(open());
      await admin.query('BEGIN');
      await admin.query(`LOCK TABLE "${schema}".usage_events IN ACCESS EXCLUSIVE MODE`);
      const started = Date.now();
      await expect(store.insert(events(2))).rejects.toThrow(/timeout/i);
      expect(Date.now() - started).toBeLessThan(2_000);
      await admin.query('ROLLBACK');
      // The held connection was dropped rather than pooled: the next insert gets a working one.
      expect(await store.insert(events(3))).toBeGreaterThan(0);
    });

    it('drops a transaction\'s connection whose query timed out, so the next transaction does not queue behind it', async () => {
      const driver = open(1);
      await expect(driver.transaction(1, (q) => q('SELECT pg_sleep(5)'))).rejects.toThrow(/timeout/i);
      // Another lock: the first one stays with the server's session until its sleep ends.
      await expect(driver.transaction(2, (q) => q<{ one: number }>('SELECT 1 AS one'))).resolves.toMatchObject({ rows: [{ one: 1 }] });
    });
  });
  describe("openPostgres' migrations during a rolling upgrade (older replicas still reading and writing)", () => {
    const schema = testSchema('ledger_migrate_lock');
    const reader = new pg.Client({ connectionString: PG_URL });
    const writer = new pg.Client({ connectionString: PG_URL });
    const driver = openPostgres(PG_URL, schema, silentLogger, { migrationLockTimeoutMs: 300 });

    beforeAll(async () => {
      await Promise.all([reader.connect(), writer.connect()]);
    });
    afterAll(async () => {
      await reader.query('ROLLBACK').catch(() => undefined);
      await reader.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await Promise.all([reader.end(), writer.end(), driver.close()]);
    });

    it("gives up a schema change that waits on a long reader's lock, so other replicas' writes do not queue behind it, and makes it once the reader is done", async () => {
      // The schema as the previous build left it, and an older replica's usage report under way.
      await migrate(driver, 10);
      await reader.query('BEGIN');
      await reader.query(`SELECT count(*) FROM "${schema}".usage_events`);
      const migrating = migrate(driver).then(() => 'migrated', (err: unknown) => String(err));
      await sleep(50);
      // What an insert takes: queued behind the waiting ALTER TABLE, until it gives up.
      const started = Date.now();
      await writer.query('BEGIN');
      await writer.query(`LOCK TABLE "${schema}".usage_events IN ROW EXCLUSIVE MODE`);
      await writer.query('COMMIT');
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(await migrating).toMatch(/lock timeout/);
      await reader.query('ROLLBACK');
      expect(await migrate(driver)).toEqual([11]);
    });
  });
  describe('openPostgres when PostgreSQL drops its connections (a restart, a failover)', () => {
    const target = new URL(PG_URL);
    const proxy = new PgProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const admin = new pg.Client({ connectionString: PG_URL });
    const drivers: SqlDriver[] = [];
    /** What reached no listener: each would have ended the gateway's process. */
    const uncaught: unknown[] = [];
    const record = (err: unknown): void => void uncaught.push(err);
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, child: () => logger, warn: (obj, msg) => void warnings.push(`${msg ?? ''}: ${String((obj as { err?: unknown }).err)}`) };
    /** One pooled connection: the transaction after a cut can only work on a new one. */
    const open = (): SqlDriver => {
      const driver = openPostgres(proxy.url(PG_URL), 'public', logger, { poolSize: 1 });
      drivers.push(driver);
      return driver;
    };
    /** The connections through the proxy running `sql` right now, seen from a session of its own. */
    const running = async (sql: string): Promise<number> =>
      Number((await admin.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE query = $1 AND state = $2', [sql, 'active'])).rows[0]?.n);

    beforeAll(async () => {
      await admin.connect();
      await proxy.start();
    });
    beforeEach(() => {
      uncaught.length = 0;
      warnings.length = 0;
      process.on('uncaughtException', record);
    });
    afterEach(async () => {
      process.off('uncaughtException', record);
      for (const driver of drivers.splice(0)) await driver.close();
      await proxy.start().catch(() => undefined);
    });
    afterAll(async () => {
      await proxy.stop();
      await admin.end();
    });

    it('fails a transaction whose connection is cut mid-statement as the database being down, and the next one runs on a new connection', async () => {
      const driver = open();
      const sql = 'SELECT pg_sleep(2) AS lost_mid_statement';
      const failing = thrown(driver.transaction(101, (q) => q(sql)));
      await expect.poll(() => running(sql), { timeout: 5_000 }).toBe(1);
      await proxy.stop();
      const err = await failing;
      expect(isDatabaseUnavailable(err)).toBe(true);
      expect(uncaught).toEqual([]);
      await proxy.start();
      await expect(driver.transaction(102, (q) => q<{ one: number }>('SELECT 1 AS one'))).resolves.toMatchObject({ rows: [{ one: 1 }] });
      expect(uncaught).toEqual([]);
    });

    it('fails a transaction whose connection dies between its statements, before its COMMIT, rather than crash', async () => {
      const driver = open();
      const err = await thrown(
        driver.transaction(103, async (q) => {
          await q('SELECT 1');
          await proxy.stop();
          // The client reads the end of its connection while no statement of its own is waiting.
          await sleep(100);
        }),
      );
      expect(isDatabaseUnavailable(err)).toBe(true);
      expect(uncaught).toEqual([]);
    });

    it('fails a transaction begun on a pooled connection that died before the pool read so, rather than crash', async () => {
      const driver = open();
      await driver.transaction(104, (q) => q('SELECT 1'));
      // Cut with the connection idle in the pool, and a transaction taken before its end is read.
      const stopped = proxy.stop();
      const err = await thrown(driver.transaction(105, (q) => q('SELECT 1')));
      await stopped;
      expect(isDatabaseUnavailable(err)).toBe(true);
      expect(uncaught).toEqual([]);
      await proxy.start();
      await expect(driver.transaction(106, (q) => q<{ one: number }>('SELECT 1 AS one'))).resolves.toMatchObject({ rows: [{ one: 1 }] });
    });

    it('fails a transaction whose session the server ends (idle_in_transaction_session_timeout) as an outage, keeping the server\'s error as its cause', async () => {
      const driver = open();
      const err = await thrown(
        driver.transaction(108, async (q) => {
          await q("SET LOCAL idle_in_transaction_session_timeout = '100ms'");
          await sleep(500);
        }),
      );
      expect(isDatabaseUnavailable(err)).toBe(true);
      expect((err as Error).cause).toMatchObject({ code: '25P03' });
      expect(uncaught).toEqual([]);
    });

    it('logs a pooled connection that dies while idle, and the next query opens a new one', async () => {
      const driver = open();
      await driver.transaction(107, (q) => q('SELECT 1'));
      await proxy.stop();
      await expect.poll(() => warnings, { timeout: 5_000 }).toEqual([expect.stringMatching(/^ledger database connection lost: /)]);
      expect(uncaught).toEqual([]);
      await proxy.start();
      await expect(driver.query<{ one: number }>('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
    });
  });
} else {
  describe.skip('openPostgres query timeout on PostgreSQL (DATABASE_URL is not set)', () => {
    it('skipped', () => undefined);
  });
}
