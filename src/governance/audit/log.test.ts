import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { silentLogger } from '../../core/logger.js';
import { GatewayError } from '../../core/errors.js';
import type { SqlDriver } from '../../ledger/store/driver.js';
import { migrate } from '../../ledger/store/migrations.js';
import { openPostgres } from '../../ledger/store/postgres-driver.js';
import { openSqlite } from '../../ledger/store/sqlite-driver.js';
import { DATABASE_URL, testSchema } from '../../ledger/testing/fixtures.js';
import { AuditLog } from './log.js';
import { hashEntry, type AuditEntry } from './chain.js';
import { DenialRecorder } from './denials.js';

/**
 * One suite per database. On PostgreSQL two drivers stand for two replicas; SQLite serves one process
 * (a second connection in the same process would wait on the first synchronously).
 */
function auditSuite(name: string, open: () => SqlDriver, replicas: 1 | 2, cleanup: () => Promise<void>) {
  describe(`audit log on ${name}`, () => {
    let a: SqlDriver;
    let b: SqlDriver;
    beforeAll(async () => {
      a = open();
      b = replicas === 2 ? open() : a;
      await migrate(a);
    });
    afterAll(async () => {
      await a?.close();
      if (b !== a) await b?.close();
      await cleanup();
    });

    const reset = async (): Promise<void> => {
      await a.query(`DELETE FROM ${a.table('audit_log')}`);
    };
    const fill = async (n: number): Promise<AuditLog> => {
      await reset();
      const log = new AuditLog(a, () => 1_750_000_000_000);
      for (let i = 1; i <= n; i++) await log.append({ actor: 'cli:ops', action: 'key.created', subject: `key:k${i}`, details: { team: 'research', n: i } });
      return log;
    };

    it('chains appends and verifies an untouched log', async () => {
      const log = await fill(5);
      expect(await log.verify()).toEqual({ checked: 5, lastSeq: 5, broken: undefined });
    });

    it('keeps one linear chain when appends race (two replicas on PostgreSQL)', async () => {
      await reset();
      const one = new AuditLog(a);
      const two = new AuditLog(b);
      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? one : two).append({ actor: 'system', action: 'config.reloaded', subject: `replica:${i % 2}` })));
      expect(await one.verify()).toMatchObject({ checked: 20, broken: undefined });
    });

    it('finds a row edited in the database', async () => {
      const log = await fill(5);
      await a.query(`UPDATE ${a.table('audit_log')} SET details = ? WHERE seq = 3`, [JSON.stringify({ team: 'finance', n: 3 })]);
      expect((await log.verify()).broken).toMatchObject({ seq: 3, problem: 'altered' });
    });

    it('finds an edit whose hash was recomputed, at the edited entry', async () => {
      const log = await fill(5);
      const pages: AuditEntry[][] = [];
      for await (const page of log.entries()) pages.push(page);
      const forged = { ...(pages[0]?.[1] as AuditEntry), actor: 'cli:intruder' };
      await a.query(`UPDATE ${a.table('audit_log')} SET actor = ?, hash = ? WHERE seq = 2`, [forged.actor, hashEntry(forged)]);
      expect((await log.verify()).broken).toMatchObject({ seq: 2, problem: 'altered' });
    });

    it('finds a removed row', async () => {
      const log = await fill(5);
      await a.query(`DELETE FROM ${a.table('audit_log')} WHERE seq = 4`);
      expect((await log.verify()).broken).toMatchObject({ seq: 4, problem: 'removed' });
    });

    it('finds rows swapped in order', async () => {
      const log = await fill(5);
      const t = a.table('audit_log');
      await a.query(`UPDATE ${t} SET seq = -1 WHERE seq = 2`);
      await a.query(`UPDATE ${t} SET seq = 2 WHERE seq = 3`);
      await a.query(`UPDATE ${t} SET seq = 3 WHERE seq = -1`);
      expect((await log.verify()).broken).toMatchObject({ seq: 2, problem: 'reordered' });
    });

    it('records a repeated policy refusal once per window', async () => {
      await reset();
      let now = 0;
      const log = new AuditLog(a);
      const denials = new DenialRecorder(log, silentLogger, 60_000, () => now);
      const err = new GatewayError({ kind: 'budget_exceeded', message: 'Budget "team" has reached its hard limit.' });
      expect(denials.denied('k1', err, 'model:gpt-4o')).toBe(true);
      expect(denials.denied('k1', err, 'model:gpt-4o')).toBe(false);
      now = 60_000;
      expect(denials.denied('k1', err, 'model:gpt-4o')).toBe(true);
      await expect.poll(async () => (await log.verify()).checked).toBe(2);
      const pages: AuditEntry[][] = [];
      for await (const page of log.entries()) pages.push(page);
      expect(pages[0]?.map((e) => [e.actor, e.action, e.subject])).toEqual([
        ['key:k1', 'budget.exceeded', 'model:gpt-4o'],
        ['key:k1', 'budget.exceeded', 'model:gpt-4o'],
      ]);
    });

    it('records at most 20 refusals of one key a window, however it varies them', async () => {
      await reset();
      let now = 0;
      const log = new AuditLog(a);
      const warned: string[] = [];
      const logger = { ...silentLogger, warn: (_o: object, msg?: string) => warned.push(msg ?? '') };
      const denials = new DenialRecorder(log, logger, 60_000, () => now);
      const err = new GatewayError({ kind: 'forbidden', message: 'This route needs an API key with role: admin.' });
      const appended = Array.from({ length: 200 }, (_, i) => denials.denied('k1', err, `route:/v1/x${i}`)).filter(Boolean).length;
      expect(appended).toBe(20);
      // The burst is said at once, not only when the key is refused again after the window.
      expect(warned).toEqual(['audit: policy refusals past the per-key limit are not recorded this window']);
      expect(denials.denied('k2', err, 'route:/v1/x0')).toBe(true);
      now = 60_000;
      expect(denials.denied('k1', err, 'route:/v1/x999')).toBe(true);
      await expect.poll(async () => (await log.verify()).checked).toBe(22);
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'sy-audit-'));
auditSuite('SQLite', () => openSqlite(join(dir, 'ledger.sqlite')), 1, async () => rmSync(dir, { recursive: true, force: true }));

const PG_URL = DATABASE_URL;
if (PG_URL) {
  const schema = testSchema('audit');
  auditSuite('PostgreSQL', () => openPostgres(PG_URL, schema, silentLogger), 2, async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  });
} else {
  describe.skip('audit log on PostgreSQL (DATABASE_URL is not set)', () => {
    it('skipped', () => undefined);
  });
}
