import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from 'undici';
import { startOpenAISim } from '../sim/openai/index.js';
import { seedUsage } from '../ledger/testing/big-ledger.js';
import { WAL_LIMIT_BYTES } from '../ledger/store/sqlite-writer.js';
import { serveProcess, writeServeConfig } from '../testing/serve-process.js';

const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const MB = 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A month's summary of the seeded ledger: each one holds its reader's snapshot for most of a second. */
const REPORT = '/v1/switchyard/usage?from=2025-06-01&to=2025-07-01&group_by=day,provider,status';

/** How many reports the spec has answered while the writes flow (both workers' lanes kept busy). */
const REPORTS = 16;

/** One GET on a connection of its own, so the primary hands it to the next worker: its status. */
async function get(url: string, path: string): Promise<number> {
  const client = new Client(url);
  try {
    const res = await client.request({ path, method: 'GET' });
    await res.body.text();
    return res.statusCode;
  } finally {
    await client.close();
  }
}

describe('the SQLite ledger\'s WAL under serve --workers 2', () => {
  it('stays bounded while both workers read reports back to back and writes flow, with no "another connection" warning', async () => {
    const sim = await startOpenAISim({ name: 'oai', models: ['gpt-4o-mini'] });
    cleanup.push(() => sim.close());
    const dir = mkdtempSync(join(tmpdir(), 'wal-workers-'));
    const ledgerPath = join(dir, 'ledger.sqlite');
    await seedUsage(ledgerPath, 200_000);
    // The writes: another process's writer (as a second gateway's would be), ~3 MB of WAL a second.
    const writer = new Database(ledgerPath);
    writer.pragma('busy_timeout = 5000');
    writer.pragma(`journal_size_limit = ${WAL_LIMIT_BYTES}`);
    writer.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, text TEXT NOT NULL)');
    cleanup.push(() => void writer.close());
    const configPath = writeServeConfig(dir, sim.url, [
      `ledger: { store: sqlite, path: "${ledgerPath}", usage_queries_per_caller: 8, spill_path: "${join(dir, 'spill.jsonl')}", journal_dir: "${join(dir, 'journal')}" }`,
    ]);
    const gw = await serveProcess(configPath, { workers: 2, cleanup });

    // Until REPORTS reports are answered, not for a time: a loaded machine answers fewer in any time.
    // The cap only ends a run whose reports starve.
    const cap = performance.now() + 45_000;
    const statuses: number[] = [];
    const running = (): boolean => statuses.filter((s) => s === 200).length < REPORTS && performance.now() < cap;
    let largest = 0;
    const write = async (): Promise<void> => {
      const insert = writer.prepare('INSERT INTO filler (text) VALUES (?)');
      const batch = writer.transaction(() => {
        for (let i = 0; i < 15; i++) insert.run('x'.repeat(2000));
      });
      while (running()) {
        batch();
        await sleep(10);
      }
    };
    // Four callers, each on new connections: both workers' report lanes always have the next report queued.
    const poll = async (): Promise<void> => {
      while (running()) statuses.push(await get(gw.url, REPORT));
    };
    const sample = async (): Promise<void> => {
      while (running()) {
        largest = Math.max(largest, statSync(`${ledgerPath}-wal`, { throwIfNoEntry: false })?.size ?? 0);
        await sleep(20);
      }
    };
    await Promise.all([write(), poll(), poll(), poll(), poll(), sample()]);

    const warned = gw.lines().filter((l) => typeof l.msg === 'string' && l.msg.startsWith('ledger WAL held back by another connection'));
    const workers = new Set(gw.lines().filter((l) => l.msg === 'request' && l.status === 200).map((l) => l.worker));
    // Measured ~9-11 MB (16 reports in ~10 s idle). Before the gates counted each other's reads, each took
    // the other's for an outsider's within seconds, warned, went ungated, and the WAL took the writes.
    expect(largest, `largest WAL ${(largest / MB).toFixed(1)} MB, ${statuses.length} reports`).toBeLessThan(3 * WAL_LIMIT_BYTES);
    expect(warned).toEqual([]);
    // All answered (a starved run ends at the cap short of them); both workers answered some.
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(REPORTS);
    expect(workers.size).toBe(2);
  }, 90_000);
});
