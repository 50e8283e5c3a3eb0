import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqlite } from '../../ledger/store/sqlite-driver.js';
import { SqlLedgerStore } from '../../ledger/store/sql-store.js';
import { events } from '../../ledger/testing/fixtures.js';
import { main } from '../main.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: {} }, out, err };
}

async function rowsIn(path: string): Promise<number> {
  const store = await SqlLedgerStore.open(openSqlite(path));
  const rows = await store.summarize({ from: 0, to: Date.parse('2100-01-01'), groupBy: [] });
  await store.close();
  return rows[0]?.attempts ?? 0;
}

describe('switchyard import-usage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-import-'));
  const ledger = join(dir, 'ledger.sqlite');
  const [a, b, c] = events(3);

  it('stores the usage a function log carries, skips its other lines, and is safe to run twice', async () => {
    await (await SqlLedgerStore.open(openSqlite(ledger))).close();
    const log = join(dir, 'function.log');
    writeFileSync(
      log,
      [
        'START RequestId: 1 Version: $LATEST',
        `2026-12-03T11:00:00Z\t${JSON.stringify({ switchyard_unstored_usage: a })}`,
        JSON.stringify({ level: 40, msg: 'ledger store unavailable' }),
        JSON.stringify({ switchyard_unstored_usage: b }),
        JSON.stringify({ switchyard_unstored_usage: a }), // copied by two flushes
        '',
      ].join('\n'),
    );
    const first = capture();
    expect(await main(['import-usage', '--sqlite', ledger, log], first.io)).toBe(0);
    expect(first.out).toEqual(['3 usage events read, 2 new in the ledger (1 it had); 2 other lines skipped']);
    expect(await rowsIn(ledger)).toBe(2);
    const again = capture();
    expect(await main(['import-usage', '--sqlite', ledger, log], again.io)).toBe(0);
    expect(again.out).toEqual(['3 usage events read, 0 new in the ledger (3 it had); 2 other lines skipped']);
    expect(await rowsIn(ledger)).toBe(2);
  });

  it('imports the rest and exits 1 naming each malformed line by file and number', async () => {
    const log = join(dir, 'torn.log');
    writeFileSync(log, [JSON.stringify({ switchyard_usage: c }), JSON.stringify({ switchyard_usage: { ...c, id: 'x', totalTokens: 'many' } }), '{"switchyard_usage": {"id"'].join('\n'));
    const run = capture();
    expect(await main(['import-usage', '--sqlite', ledger, log], run.io)).toBe(1);
    expect(run.err).toEqual([`${log}:2: not imported: totalTokens is not a count`, `${log}:3: not imported: not JSON`]);
    expect(run.out).toEqual(['1 usage events read, 1 new in the ledger (0 it had); 0 other lines skipped, 2 malformed']);
    expect(await rowsIn(ledger)).toBe(3);
  });

  it('says which file it could not read, and what it stored before', async () => {
    const run = capture();
    expect(await main(['import-usage', '--sqlite', ledger, join(dir, 'function.log'), join(dir, 'missing.log')], run.io)).toBe(1);
    expect(run.err.join('\n')).toMatch(/^import stopped: ENOENT.*missing\.log.*; 0 new events were stored before it/);
  });

  it('refuses a target that is not a ledger database', async () => {
    const run = capture();
    expect(await main(['import-usage', '--sqlite', join(dir, 'typo.sqlite'), join(dir, 'function.log')], run.io)).toBe(1);
    expect(run.err).toEqual([`no ledger at ${join(dir, 'typo.sqlite')}: the file does not exist`]);
    const config = join(dir, 'stdout.yaml');
    writeFileSync(config, 'deployments:\n  - { id: a, provider: openai-compatible, model: m }\nledger:\n  store: stdout\n');
    const stdout = capture();
    expect(await main(['import-usage', '-c', config, join(dir, 'function.log')], stdout.io)).toBe(1);
    expect(stdout.err.join('\n')).toContain('has no ledger database to import into');
    expect(await main(['import-usage', join(dir, 'function.log')], capture().io)).toBe(2);
  });
});
