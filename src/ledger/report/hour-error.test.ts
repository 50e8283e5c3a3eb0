import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { GatewayError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import { toUsageEvent, type UsageEvent } from '../event.js';
import type { SqlDriver } from '../store/driver.js';
import { openPostgres } from '../store/postgres-driver.js';
import { openSqlite } from '../store/sqlite-driver.js';
import { SqlLedgerStore } from '../store/sql-store.js';
import { attempt, DATABASE_URL, testSchema } from '../testing/fixtures.js';
import { buildReport } from './build.js';

const at = (time: string): number => Date.parse(`2026-12-06T${time}Z`);
const RANGE = { from: Date.parse('2026-12-06T00:00:00Z'), to: Date.parse('2026-12-07T00:00:00Z') };

/**
 * Six attempts at fixed times on 2026-12-06 (UTC): two ok at 01:xx, a timeout and an ok at 02:xx (the
 * dearest in the 02:00 hour), a rate-limited one at 02:59:59.999 and one cancelled without a kind at 23:xx.
 */
function fixture(): UsageEvent[] {
  const row = (id: string, time: string, usd: number, outcome: 'ok' | 'error' | 'cancelled' = 'ok', kind?: 'timeout' | 'rate_limited') =>
    toUsageEvent(attempt({ requestId: id, startedAt: at(time), outcome, error: kind === undefined ? undefined : new GatewayError({ kind, message: kind }) }), { usd, priced: true });
  return [
    row('late', '23:10:00', 0.5, 'cancelled'),
    row('b', '02:00:00', 0.01, 'error', 'timeout'),
    row('c', '02:30:00', 4),
    row('d', '02:59:59.999', 0, 'error', 'rate_limited'),
    row('a1', '01:00:00', 1),
    row('a2', '01:59:59', 2),
  ];
}

function suite(name: string, open: () => Promise<SqlDriver>, cleanup: () => Promise<void>) {
  describe(`report by hour and by error kind on ${name}`, () => {
    let store: SqlLedgerStore;
    beforeAll(async () => {
      store = await SqlLedgerStore.open(await open());
      await store.insert(fixture());
    });
    afterAll(async () => {
      await store?.close();
      await cleanup();
    });

    it('puts each attempt in its UTC hour, named 2026-12-06T02:00Z, earliest hour first', async () => {
      const report = await buildReport(store, { ...RANGE, groupBy: ['hour'] });
      expect(report.rows.map((r) => [r.keys.hour, r.attempts, r.costUsd])).toEqual([
        ['2026-12-06T01:00Z', 2, 3],
        ['2026-12-06T02:00Z', 3, 4.01],
        ['2026-12-06T23:00Z', 1, 0.5],
      ]);
      expect(report.total).toMatchObject({ attempts: 6 });
    });

    it('keeps hours in time order with a second dimension, dearest first within an hour', async () => {
      const report = await buildReport(store, { ...RANGE, groupBy: ['error', 'hour'] });
      expect(report.rows.map((r) => `${r.keys.hour} ${r.keys.error}`)).toEqual(['2026-12-06T01:00Z ok', '2026-12-06T02:00Z ok', '2026-12-06T02:00Z timeout', '2026-12-06T02:00Z rate_limited', '2026-12-06T23:00Z cancelled']);
    });

    it('groups by the error kind the ledger stores, ok rows as ok and a cancelled one without a kind as cancelled', async () => {
      const report = await buildReport(store, { ...RANGE, groupBy: ['error'] });
      const byKind = Object.fromEntries(report.rows.map((r) => [r.keys.error, [r.attempts, r.errors]]));
      expect(byKind).toEqual({ ok: [3, 0], timeout: [1, 1], rate_limited: [1, 1], cancelled: [1, 1] });
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'report-hour-'));
suite('SQLite', async () => openSqlite(join(dir, 'ledger.sqlite')), async () => rmSync(dir, { recursive: true, force: true }));

if (DATABASE_URL) {
  const schema = testSchema('report_hour');
  const url = DATABASE_URL;
  suite('PostgreSQL', async () => openPostgres(url, schema, silentLogger), async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  });
} else {
  describe.skip('report by hour and by error kind on PostgreSQL (DATABASE_URL is not set)', () => {
    it('skipped', () => undefined);
  });
}

describe('switchyard report --group-by hour / error', () => {
  const cliDir = mkdtempSync(join(tmpdir(), 'report-hour-cli-'));
  const db = join(cliDir, 'ledger.sqlite');
  beforeAll(async () => {
    const store = await SqlLedgerStore.open(openSqlite(db));
    await store.insert(fixture());
    await store.close();
  });
  afterAll(() => rmSync(cliDir, { recursive: true, force: true }));

  const run = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['report', '--sqlite', db, '--from', '2026-12-06', '--to', '2026-12-06', ...args], { out: (l) => out.push(l), err: (l) => err.push(l), env: {} });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('prints one row per hour, in time order, in CSV', async () => {
    const { code, out } = await run('--group-by', 'hour', '--format', 'csv');
    expect(code).toBe(0);
    expect(out.split('\n').map((l) => l.split(',').slice(0, 3).join(','))).toEqual(['hour,requests,attempts', '2026-12-06T01:00Z,2,2', '2026-12-06T02:00Z,3,3', '2026-12-06T23:00Z,1,1', 'TOTAL,6,6']);
  });

  it('prints the error kinds as a JSON report\'s keys', async () => {
    const { code, out } = await run('--group-by', 'error', '--format', 'json');
    expect(code).toBe(0);
    expect(out).toContain('"error": "rate_limited"');
    expect(out).toContain('"error": "ok"');
  });

  it('refuses a group-by it does not know, naming every value it takes (exit 2)', async () => {
    const { code, err } = await run('--group-by', 'hours');
    expect(code).toBe(2);
    expect(err).toContain('unknown group-by "hours"; expected provider, model, deployment, region, key, team, user, group, day, hour, status, error, operation, role or tag:NAME');
  });
});
