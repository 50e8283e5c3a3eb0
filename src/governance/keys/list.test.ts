import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../config/load.js';
import { silentLogger } from '../../core/logger.js';
import { migrate } from '../../ledger/store/migrations.js';
import { openSqlite } from '../../ledger/store/sqlite-driver.js';
import { rawDeployment } from '../../routing/testing/fakes.js';
import { KeyStore } from './store.js';

const KEYS = 300_000;
const config = resolveConfig({ deployments: [rawDeployment('gpt-us')], groups: [{ name: 'simple', deployments: ['gpt-us'] }] }, {});

describe('the virtual-key list on a SQLite ledger (read on the reader thread)', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'sy-key-list-')), 'ledger.sqlite');

  beforeAll(async () => {
    const driver = openSqlite(path, { inserts: 'inline', reads: 'inline' });
    await migrate(driver);
    await driver.close();
    const db = new Database(path);
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1)
       INSERT INTO virtual_keys (id, hmac, owner, team, policy, created_at, updated_at, expires_at, revoked_at, revision)
       SELECT 'k' || i, 'h', NULL, NULL, '{"tags":{},"role":"user","budgets":[],"rate_limits":{},"metadata":{}}', i, i, NULL, NULL, 1 FROM n`,
    ).run(KEYS);
    db.close();
  }, 60_000);

  it('stops a list past query_timeout_ms (its thread ends at once, as a report\'s does) and answers the next read at once', async () => {
    const driver = openSqlite(path, { queryTimeoutMs: 400 });
    const keys = new KeyStore({ driver, hmacSecret: 'x'.repeat(40), config, logger: silentLogger, refreshMs: 1000 });
    try {
      // Warm the reader thread: its first read starts it.
      await driver.readMany!('SELECT 1 AS one');
      await expect(keys.list()).rejects.toMatchObject({ code: 'SQLITE_INTERRUPT' });
      // Sorted by SQLite, or read without the row check, the stopped thread listed on for most of a second.
      const cpu = process.cpuUsage();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const spent = process.cpuUsage(cpu);
      expect((spent.user + spent.system) / 1000).toBeLessThan(150);
      expect(await driver.readMany!('SELECT COUNT(*) AS n FROM virtual_keys')).toEqual({ rows: [{ n: KEYS }] });
    } finally {
      await driver.close();
    }
  }, 30_000);

  it('lists every key newest first', async () => {
    const driver = openSqlite(path);
    const keys = new KeyStore({ driver, hmacSecret: 'x'.repeat(40), config, logger: silentLogger, refreshMs: 1000 });
    try {
      const listed = await keys.list();
      expect([listed.length, listed[0]?.id, listed.at(-1)?.id]).toEqual([KEYS, `k${KEYS - 1}`, 'k0']);
    } finally {
      await driver.close();
    }
  }, 30_000);
});
