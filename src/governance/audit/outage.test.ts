import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { silentLogger } from '../../core/logger.js';
import { Journal } from '../../ledger/journal.js';
import type { SqlDriver } from '../../ledger/store/driver.js';
import { migrate } from '../../ledger/store/migrations.js';
import { openPostgres } from '../../ledger/store/postgres-driver.js';
import { openSqlite } from '../../ledger/store/sqlite-driver.js';
import { SqlLedgerStore } from '../../ledger/store/sql-store.js';
import { isDatabaseUnavailable } from '../../ledger/store/unavailable.js';
import { DATABASE_URL, testSchema } from '../../ledger/testing/fixtures.js';
import type { AuditEntry } from './chain.js';
import { AuditLog } from './log.js';
import { MAX_HELD } from './outbox.js';
import { PgProxy } from './testing/pg-proxy.js';

const thrown = (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (err: unknown) => err);

async function entries(log: AuditLog): Promise<AuditEntry[]> {
  const all: AuditEntry[] = [];
  for await (const page of log.entries()) all.push(...page);
  return all;
}

const subjects = async (log: AuditLog): Promise<string[]> => (await entries(log)).map((e) => e.subject);
const segments = (dir: string): string[] => readdirSync(dir).filter((name) => name.endsWith('.jsonl'));

const PG_URL = DATABASE_URL;
if (PG_URL) {
  describe('audit entries made while PostgreSQL cannot be reached', () => {
    const schema = testSchema('audit_outage');
    const target = new URL(PG_URL);
    const proxy = new PgProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const opened: Array<{ close(): unknown }> = [];
    let driver: SqlDriver;
    let dir: string;

    /** A log on the proxied database, journaling to `dir` (each log its own Journal, as each process has). */
    const open = (retryMs: number): AuditLog => {
      const log = new AuditLog(driver, Date.now, { journal: new Journal(dir), retryMs });
      opened.push(log);
      return log;
    };

    /**
     * The database goes down, and the pool reads the end of its connections before the next
     * transaction, which so always meets a refused connection. One begun on a pooled connection whose
     * end is still unread fails as an outage too (its client listens for the connection's error:
     * `postgres-driver.test.ts`); the wait only keeps these specs on one path.
     */
    const down = async (): Promise<void> => {
      await proxy.stop();
      await new Promise((r) => setTimeout(r, 50));
    };

    beforeAll(async () => {
      await proxy.start();
      // A COMMIT whose answer never comes fails after this, its outcome unknown to the log.
      driver = openPostgres(proxy.url(PG_URL), schema, silentLogger, { queryTimeoutMs: 300 });
      await migrate(driver);
    });

    afterEach(async () => {
      for (const o of opened.splice(0)) o.close();
      await proxy.start().catch(() => undefined);
      await driver.query(`DELETE FROM ${driver.table('audit_log')}`);
      rmSync(dir, { recursive: true, force: true });
    });

    afterAll(async () => {
      await driver.close();
      await proxy.stop();
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    });

    it('holds them, refuses a key change behind them, and appends them in order with the chain intact once it answers', async () => {
      dir = mkdtempSync(join(tmpdir(), 'audit-outage-'));
      const log = open(50);
      await log.append({ actor: 'key:ops', action: 'deployment.drained', subject: 'deployment:a' });
      await down();
      const madeAt = Date.now();
      // Each append resolves at once, held (no entry yet), rather than failing or waiting for the store.
      expect(await log.append({ actor: 'key:ops', action: 'deployment.drained', subject: 'deployment:b' })).toBeUndefined();
      expect(await log.append({ actor: 'key:user', action: 'permission.denied', subject: 'route:/v1/switchyard/config', details: { code: 'admin_required' } })).toBeUndefined();
      expect(segments(dir)).toHaveLength(1);
      // A change that must be written with its entry is refused while the entries before it cannot be.
      const refused = await thrown(log.append({ actor: 'key:ops', action: 'key.created', subject: 'key:k1' }, async (q) => q('SELECT 1')));
      expect(isDatabaseUnavailable(refused)).toBe(true);

      await proxy.start();
      await expect.poll(() => subjects(log), { timeout: 5_000 }).toEqual(['deployment:a', 'deployment:b', 'route:/v1/switchyard/config']);
      await log.append({ actor: 'key:ops', action: 'deployment.undrained', subject: 'deployment:b' });
      const all = await entries(log);
      expect(all.map((e) => [e.seq, e.action])).toEqual([[1, 'deployment.drained'], [2, 'deployment.drained'], [3, 'permission.denied'], [4, 'deployment.undrained']]);
      // An entry keeps the time it was made, not the time the store took it.
      expect(all[1]?.ts).toBeGreaterThanOrEqual(madeAt);
      expect(all[1]?.ts).toBeLessThan(madeAt + 1_000);
      expect(await log.verify()).toEqual({ checked: 4, lastSeq: 4, broken: undefined });
      // Everything held is stored: the journal keeps nothing.
      expect(segments(dir)).toEqual([]);
    });

    it('writes an entry once when its COMMIT went through but the answer never came back', async () => {
      dir = mkdtempSync(join(tmpdir(), 'audit-outage-'));
      const log = open(50);
      const withheld = proxy.withholdNextCommit();
      // Its outcome unknown to the log: held, and looked for before being written again.
      expect(await log.append({ actor: 'key:ops', action: 'breaker.reset', subject: 'breaker:a' })).toBeUndefined();
      await withheld;
      await log.append({ actor: 'key:ops', action: 'config.viewed', subject: 'config' });
      await expect.poll(() => subjects(log), { timeout: 5_000 }).toEqual(['breaker:a', 'config']);
      expect(await log.verify()).toMatchObject({ checked: 2, broken: undefined });
    });

    it('keeps held entries through a restart, and a write that committed unseen before it is not repeated', async () => {
      dir = mkdtempSync(join(tmpdir(), 'audit-outage-'));
      // No retries of its own: the key change below is what tries the store again.
      const first = open(60_000);
      await down();
      await first.append({ actor: 'key:ops', action: 'deployment.drained', subject: 'deployment:a' });
      await first.append({ actor: 'key:ops', action: 'deployment.drained', subject: 'deployment:b' });
      await proxy.start();
      const withheld = proxy.withholdNextCommit();
      // The held entries go first, in a transaction that commits unseen: the key change is refused.
      expect(isDatabaseUnavailable(await thrown(first.append({ actor: 'key:ops', action: 'key.created', subject: 'key:k1' }, async (q) => q('SELECT 1'))))).toBe(true);
      await withheld;
      expect(await subjects(first)).toEqual(['deployment:a', 'deployment:b']);
      // The process stops with both still held as far as it knows: its journal segments stay.
      first.close();
      expect(segments(dir).length).toBeGreaterThan(0);

      const second = open(50);
      await second.append({ actor: 'key:ops', action: 'deployment.undrained', subject: 'deployment:a' });
      expect(await subjects(second)).toEqual(['deployment:a', 'deployment:b', 'deployment:a']);
      expect(await second.verify()).toMatchObject({ checked: 3, broken: undefined });
      expect(segments(dir)).toEqual([]);
    });

    it('hands what a reloaded configuration\'s log still held to the next generation, which appends it', async () => {
      dir = mkdtempSync(join(tmpdir(), 'audit-outage-'));
      const old = open(60_000);
      await down();
      await old.append({ actor: 'key:ops', action: 'deployment.drained', subject: 'deployment:a' });
      // The new generation opens on the same folder before the old one is retired, as a reload does.
      const next = open(50);
      old.close();
      await proxy.start();
      await expect.poll(() => subjects(next), { timeout: 5_000 }).toEqual(['deployment:a']);
      await next.append({ actor: 'key:ops', action: 'config.reloaded', subject: 'config' });
      expect(await subjects(next)).toEqual(['deployment:a', 'config']);
      expect(segments(dir)).toEqual([]);
    });

    it('holds entries until a ledger opened while PostgreSQL was down has made its tables, rather than drop them', async () => {
      dir = mkdtempSync(join(tmpdir(), 'audit-outage-'));
      const fresh = testSchema('audit_unmigrated');
      const unmigrated = openPostgres(proxy.url(PG_URL), fresh, silentLogger, { queryTimeoutMs: 300 });
      try {
        await down();
        const store = await SqlLedgerStore.connect(unmigrated, { logger: silentLogger, retryMs: 60_000 });
        const log = new AuditLog(unmigrated, Date.now, { ready: () => store.isReady, retryMs: 60_000 });
        opened.push(log);
        expect(await log.append({ actor: 'key:ops', action: 'deployment.drained', subject: 'deployment:a' })).toBeUndefined();
        await proxy.start();
        // The database answers, but has no audit table yet: that is waited for, not an entry the store refused.
        expect(await thrown(log.append({ actor: 'key:ops', action: 'key.created', subject: 'key:k1' }, async (q) => q('SELECT 1')))).toMatchObject({ kind: 'unavailable', code: 'ledger_unavailable' });
        // Any use of the store runs its migrations once the database is back: a write of no events here.
        await store.insert([]);
        await log.append({ actor: 'key:ops', action: 'key.created', subject: 'key:k1' }, async (q) => q('SELECT 1'));
        expect(await subjects(log)).toEqual(['deployment:a', 'key:k1']);
        expect(await log.verify()).toMatchObject({ checked: 2, broken: undefined });
      } finally {
        await unmigrated.close();
        const admin = new pg.Client({ connectionString: PG_URL });
        await admin.connect();
        await admin.query(`DROP SCHEMA IF EXISTS "${fresh}" CASCADE`);
        await admin.end();
      }
    });
  });
} else {
  describe.skip('audit entries made while PostgreSQL cannot be reached (DATABASE_URL is not set)', () => {
    it('skipped', () => undefined);
  });
}

describe('audit entries made while SQLite\'s disk is full', () => {
  let dir: string;
  let driver: SqlDriver;

  // A new file each: pages a delete freed would take an entry on a "full" disk.
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'audit-full-'));
    driver = openSqlite(join(dir, 'ledger.sqlite'));
    await migrate(driver);
  });

  afterEach(async () => {
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** No page beyond those the file has: SQLite answers SQLITE_FULL, as on a full disk. */
  const fillDisk = async (): Promise<void> => {
    const { rows } = await driver.query<{ page_count: number }>('PRAGMA page_count');
    await driver.query(`PRAGMA max_page_count = ${Number(rows[0]?.page_count)}`);
  };
  const makeRoom = (): Promise<unknown> => driver.query('PRAGMA max_page_count = 1073741823');
  // More than the free space of the file's pages.
  const big = { reason: 'x'.repeat(8_192) };

  it('holds them and appends them once there is room; a key change meanwhile fails as the outage it is, not as a bug', async () => {
    const journalDir = join(dir, 'journal');
    const log = new AuditLog(driver, Date.now, { journal: new Journal(journalDir), retryMs: 20 });
    try {
      await fillDisk();
      expect(await log.append({ actor: 'key:ops', action: 'deployment.drained', subject: 'deployment:a', details: big })).toBeUndefined();
      const refused = await thrown(log.append({ actor: 'key:ops', action: 'key.revoked', subject: 'key:k1' }, async (q) => q('SELECT 1')));
      expect(refused).toMatchObject({ code: expect.stringMatching(/^SQLITE_FULL/) });
      expect(await subjects(log)).toEqual([]);
      await makeRoom();
      await expect.poll(() => subjects(log), { timeout: 5_000 }).toEqual(['deployment:a']);
      expect(await log.verify()).toMatchObject({ checked: 1, broken: undefined });
      expect(segments(journalDir)).toEqual([]);
    } finally {
      log.close();
    }
  });

  it(`holds at most ${MAX_HELD} entries, and records how many it could not as an entry of its own`, async () => {
    const log = new AuditLog(driver, Date.now, { retryMs: 20 });
    try {
      await fillDisk();
      expect(await log.append({ actor: 'key:ops', action: 'config.viewed', subject: 'config:0', details: big })).toBeUndefined();
      const held = await Promise.all(Array.from({ length: MAX_HELD - 1 }, (_, i) => log.append({ actor: 'key:ops', action: 'config.viewed', subject: `config:${i + 1}` })));
      expect(held.every((e) => e === undefined)).toBe(true);
      const refused = await thrown(log.append({ actor: 'key:ops', action: 'config.viewed', subject: 'config:over' }));
      expect(refused).toMatchObject({ kind: 'unavailable', code: 'audit_unavailable' });
      await makeRoom();
      await expect.poll(async () => (await log.verify()).checked, { timeout: 20_000 }).toBe(MAX_HELD + 1);
      const all = await entries(log);
      expect(all.slice(0, 3).map((e) => e.subject)).toEqual(['config:0', 'config:1', 'config:2']);
      expect(all.at(-1)).toMatchObject({ actor: 'system', action: 'audit.entries_lost', subject: 'audit', details: { count: 1 } });
      expect(await log.verify()).toMatchObject({ broken: undefined });
    } finally {
      log.close();
    }
  }, 60_000);
});
