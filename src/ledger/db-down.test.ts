import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import pg from 'pg';
import { createApp } from '../app.js';
import { resolveConfig } from '../config/load.js';
import { startOpenAISim } from '../sim/openai/index.js';
import { DATABASE_URL, testSchema } from './testing/fixtures.js';
import { TcpProxy } from './testing/tcp-proxy.js';
import { answerText, userRequest } from '../testing/canonical.js';

const PG_URL = DATABASE_URL;
if (PG_URL) {
  describe('starting while PostgreSQL is down', () => {
    const schema = testSchema('ledger_down');
    const admin = new pg.Client({ connectionString: PG_URL });
    afterAll(async () => {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await admin.end().catch(() => undefined);
    });

    it('serves, buffers and spills events, then migrates and writes them all once the database is back', async () => {
      await admin.connect();
      const target = new URL(PG_URL);
      const proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
      // Take a free port, then close it: the database is "down" at that address until the proxy starts.
      await proxy.start();
      await proxy.stop();
      const url = new URL(PG_URL);
      url.host = `127.0.0.1:${proxy.port}`;
      const sim = await startOpenAISim({ name: 'oai', models: ['gpt-4o-mini'] });
      const dir = mkdtempSync(join(tmpdir(), 'ledger-down-'));
      const spillPath = join(dir, 'spill.jsonl');
      const config = resolveConfig({
        deployments: [{ id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1` }],
        groups: [{ name: 'chat', deployments: ['oai'] }],
        ledger: { store: 'postgres', url: url.toString(), schema, spill_path: spillPath, max_buffer: 4, flush_interval_ms: 20, retry_interval_ms: 50 },
        budgets: { limits: [{ name: 'k', period: 'daily', per: 'key', hard_usd: 100 }] },
      });

      const app = await createApp(config);
      try {
        // The gateway serves (budgets included) although the ledger cannot be written.
        for (let i = 0; i < 10; i += 1) {
          const { response } = await app.gateway.chat(userRequest('chat', `Hello ${i}`), { tags: { key: 'k1' }, requestId: `down-${i}` });
          expect(answerText(response)).toBeTruthy();
        }
        await app.ledger.flush();
        const stats = app.ledger.stats();
        expect(stats?.storeDown).toBe(true);
        expect(stats?.written).toBe(0);
        expect(stats?.spilled).toBeGreaterThan(0); // past max_buffer, events went to the spill file
        const tables = async () => (await admin.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1', [schema])).rows.map((r: { table_name: string }) => r.table_name);
        expect(await tables()).toEqual([]);

        await proxy.start();
        // No flush call: the store's retry runs the migrations, the batcher's timer writes the backlog.
        await vi.waitFor(
          async () => {
            expect(await tables()).toEqual(['audit_log', 'responses', 'switchyard_ledger_migrations', 'usage_events', 'virtual_keys']);
            const rows = await admin.query(`SELECT COUNT(*)::int AS n, COUNT(DISTINCT request_id)::int AS r FROM "${schema}".usage_events`);
            expect(rows.rows[0]).toEqual({ n: 10, r: 10 });
            expect(app.ledger.stats()).toMatchObject({ storeDown: false, queued: 0, replayed: stats?.spilled });
          },
          { timeout: 4000, interval: 50 },
        );
        expect(existsSync(spillPath) || existsSync(`${spillPath}.replaying`)).toBe(false);
      } finally {
        await app.close();
        await sim.close();
        await proxy.stop();
      }
    });
  });
} else {
  describe.skip('starting while PostgreSQL is down (DATABASE_URL is not set)', () => {
    it('skipped', () => undefined);
  });
}
