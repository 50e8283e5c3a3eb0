import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startOpenAISim } from '../sim/openai/index.js';
import { openSqlite } from './store/sqlite-driver.js';
import { serveProcess, writeServeConfig } from '../testing/serve-process.js';

describe('a replica killed with SIGKILL', () => {
  it('loses no usage of the requests it answered: the journal is replayed on restart, without duplicates', async () => {
    const sim = await startOpenAISim({ name: 'oai', models: ['gpt-4o-mini'] });
    const dir = mkdtempSync(join(tmpdir(), 'sigkill-'));
    const ledgerPath = join(dir, 'ledger.sqlite');
    const configPath = writeServeConfig(dir, sim.url, [
      // A long flush interval: every event answered before the kill is still only in memory (and the journal).
      `ledger: { store: sqlite, path: "${ledgerPath}", flush_interval_ms: 60000, spill_path: "${join(dir, 'spill.jsonl')}", journal_dir: "${join(dir, 'journal')}" }`,
    ]);
    try {
      const first = await serveProcess(configPath);
      const answered: string[] = [];
      let stop = false;
      const worker = async (): Promise<void> => {
        while (!stop) {
          const res = await request(`${first.url}/v1/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }),
          }).catch(() => undefined);
          if (!res) return;
          const body = await res.body.text().catch(() => undefined);
          if (res.statusCode === 200 && body !== undefined) answered.push(res.headers['x-request-id'] as string);
        }
      };
      const load = Promise.all(Array.from({ length: 4 }, worker));
      await new Promise((r) => setTimeout(r, 400));
      first.child.kill('SIGKILL');
      stop = true;
      await load;
      expect(answered.length).toBeGreaterThan(0);

      const second = await serveProcess(configPath);
      second.child.kill('SIGTERM');
      await second.exited;
      const db = openSqlite(ledgerPath);
      const { rows } = await db.query<{ request_id: string }>('SELECT request_id FROM usage_events');
      await db.close();
      const ids = rows.map((r) => r.request_id);
      expect(new Set(ids).size).toBe(ids.length);
      // Every answered request is billed; at most the calls the upstream saw (some were cut by the kill).
      expect(answered.filter((id) => !ids.includes(id))).toEqual([]);
      expect(ids.length).toBeLessThanOrEqual(sim.stats.total);
    } finally {
      await sim.close();
    }
  }, 30_000);
});
