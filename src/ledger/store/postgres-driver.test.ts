import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { DATABASE_URL, events, testSchema } from '../testing/fixtures.js';
import type { SqlDriver } from './driver.js';
import { openPostgres } from './postgres-driver.js';
import { SqlLedgerStore } from './sql-store.js';

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
} else {
  describe.skip('openPostgres query timeout on PostgreSQL (DATABASE_URL is not set)', () => {
    it('skipped', () => undefined);
  });
}
