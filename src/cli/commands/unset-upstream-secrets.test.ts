import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../../ledger/store/sqlite-driver.js';
import { SqlLedgerStore } from '../../ledger/store/sql-store.js';
import { events } from '../../ledger/testing/fixtures.js';
import { main } from '../main.js';

function capture(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env }, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'sy-unset-'));
const ledger = join(dir, 'ledger.sqlite');

/** An on-call config: upstream keys and a header as variables the bastion host does not have. */
function config(name: string, ledgerLines: string[], extra: string[] = []): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    [
      'deployments:',
      '  - { id: search, provider: openai-compatible, model: gpt-4o, endpoint: "http://127.0.0.1:9/v1", api_key: "${SEARCH_KEY}" }',
      '  - { id: ptu, provider: openai-compatible, model: gpt-4o, endpoint: "http://127.0.0.1:9/v1", api_key: "${AZURE_KEY}", provisioned: { monthly_usd: 600, capacity_rpm: 100 } }',
      'pricing: { deployments: { search: { input: 2.5, output: 10 }, ptu: { input: 0, output: 0 } } }',
      ...ledgerLines,
      ...extra,
    ].join('\n'),
  );
  return file;
}

const oncall = config('oncall.yaml', ['ledger:', `  path: ${JSON.stringify(ledger)}`, '  journal: false']);

beforeAll(async () => {
  const store = await SqlLedgerStore.open(openSqlite(ledger));
  await store.insert(events(3, 0.25));
  await store.close();
});

describe('ledger-reading commands with upstream secrets unset', () => {
  it('report reads the ledger and names the unset variables it did not need, never a value', async () => {
    const run = capture({ OTHER: 'x' });
    expect(await main(['report', '-c', oncall, '--format', 'json', '--from', '2025-05-01', '--to', '2025-07-31'], run.io)).toBe(0);
    expect(run.err).toContain('switchyard report: not set, not needed by report: SEARCH_KEY, AZURE_KEY');
    expect(run.err.join('\n')).not.toContain('is not set');
    const report = JSON.parse(run.out.join('\n')) as { data: Array<{ requests: number }> };
    expect(report.data.reduce((n, row) => n + row.requests, 0)).toBe(3);
  });

  it('report --advise prices the provisioned deployment without its keys', async () => {
    const run = capture();
    expect(await main(['report', '-c', oncall, '--advise'], run.io)).toBe(0);
    expect(run.err).toContain('switchyard report: not set, not needed by report --advise: SEARCH_KEY, AZURE_KEY');
    expect(run.out.join('\n')).toContain('ptu');
  });

  it('audit export reads the audit log of the ledger', async () => {
    const run = capture();
    expect(await main(['audit', 'export', '-c', oncall], run.io)).toBe(0);
    expect(run.err).toEqual(['switchyard audit: not set, not needed by audit export: SEARCH_KEY, AZURE_KEY']);
  });

  it('import-usage writes into the ledger the config names', async () => {
    const log = join(dir, 'usage.log');
    writeFileSync(log, `${JSON.stringify({ switchyard_usage: events(1, 0.1, Date.now())[0] })}\n`);
    const run = capture();
    expect(await main(['import-usage', '-c', oncall, log], run.io)).toBe(0);
    expect(run.err).toEqual(['switchyard import-usage: not set, not needed by import-usage: SEARCH_KEY, AZURE_KEY']);
    expect(run.out[0]).toMatch(/^1 usage events read/);
  });

  it('still refuses an unset variable inside ledger:, naming its path and only what the command needs', async () => {
    const file = config('pg.yaml', ['ledger:', '  store: postgres', '  url: ${DATABASE_URL}']);
    for (const args of [['report', '-c', file], ['audit', 'export', '-c', file], ['import-usage', '-c', file, file]]) {
      const run = capture();
      expect(await main(args, run.io)).toBe(1);
      const text = run.err.join('\n');
      expect(text).toContain('ledger.url: environment variable DATABASE_URL is not set');
      expect(text).not.toContain('SEARCH_KEY');
    }
  });

  it('still refuses a real schema error elsewhere, with the unset variables as today', async () => {
    const file = config('typo.yaml', ['ledger:', `  path: ${JSON.stringify(ledger)}`], ['routing: { strategy: fastest-ever }']);
    const run = capture();
    expect(await main(['report', '-c', file], run.io)).toBe(1);
    const text = run.err.join('\n');
    expect(text).toContain('routing: unknown key "strategy"');
    expect(text).toContain('deployments[0].api_key: environment variable SEARCH_KEY is not set');
  });

  it('--advise refuses a variable it would read as a plain value (a model), not only a secret', async () => {
    const file = config('model.yaml', ['ledger:', `  path: ${JSON.stringify(ledger)}`]);
    writeFileSync(file, readFileSync(file, 'utf8').replace('id: search, provider: openai-compatible, model: gpt-4o', 'id: search, provider: openai-compatible, model: "${MODEL}"'));
    const advice = capture();
    expect(await main(['report', '-c', file, '--advise'], advice.io)).toBe(1);
    expect(advice.err.join('\n')).toContain('deployments[0].model: environment variable MODEL is not set');
    expect(advice.err.join('\n')).not.toContain('SEARCH_KEY');
    const usage = capture();
    expect(await main(['report', '-c', file], usage.io)).toBe(0);
    expect(usage.err).toContain('switchyard report: not set, not needed by report: MODEL, SEARCH_KEY, AZURE_KEY');
  });
});
