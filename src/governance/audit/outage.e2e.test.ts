import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { request } from 'undici';
import { createApp, type App } from '../../app.js';
import { resolveConfig } from '../../config/load.js';
import { NEVER_CANCELLED } from '../../core/cancel.js';
import { silentLogger } from '../../core/logger.js';
import { createHttpHandler } from '../../http/handler.js';
import { openPostgres } from '../../ledger/store/postgres-driver.js';
import { DATABASE_URL, testSchema } from '../../ledger/testing/fixtures.js';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';
import { serveProcess, writeServeConfig } from '../../testing/serve-process.js';
import type { AuditEntry } from './chain.js';
import { AuditLog } from './log.js';
import { PgProxy } from './testing/pg-proxy.js';

const ADMIN = 'sk-admin-for-audit-outage';
const USER = 'sk-user-for-audit-outage';

async function entries(log: AuditLog): Promise<AuditEntry[]> {
  const all: AuditEntry[] = [];
  for await (const page of log.entries()) all.push(...page);
  return all;
}

const PG_URL = DATABASE_URL;
if (PG_URL) {
  describe('the audit log of a gateway whose PostgreSQL goes down', () => {
    const target = new URL(PG_URL);
    const proxy = new PgProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const schemas: string[] = [];
    let sim: SimServer;
    let dir: string;

    /** The database goes down; the pool reads the end of its connections before anything else runs (see outage.test.ts). */
    const down = async (): Promise<void> => {
      await proxy.stop();
      await new Promise((r) => setTimeout(r, 50));
    };

    beforeAll(async () => {
      sim = await startOpenAISim({ name: 'oai', models: ['gpt-4o-mini'] });
      dir = mkdtempSync(join(tmpdir(), 'audit-outage-e2e-'));
      await proxy.start();
    });

    afterAll(async () => {
      await proxy.stop();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    });

    it('records the admin actions and refusals made meanwhile, in order, and refuses key changes with a 503 until they are stored', async () => {
      const schema = testSchema('audit_outage_app');
      schemas.push(schema);
      const app: App = await createApp(
        resolveConfig({
          deployments: [{ id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1` }],
          groups: [
            { name: 'chat', deployments: ['oai'] },
            { name: 'other', deployments: ['oai'] },
          ],
          api_keys: [
            { id: 'ops', key: ADMIN, role: 'admin' },
            { id: 'user', key: USER, groups: ['other'] },
          ],
          ledger: { store: 'postgres', url: proxy.url(PG_URL), schema, journal_dir: join(dir, 'app-journal'), spill_path: join(dir, 'spill.jsonl'), retry_interval_ms: 50 },
          keys: { hmac_secret: 'an-hmac-secret-of-at-least-32-characters', refresh_ms: 1_000 },
        }),
        { logger: silentLogger },
      );
      const handle = createHttpHandler(app.gateway, app.handlerOptions);
      const call = async (key: string, path: string, body: unknown = {}) => {
        const answer = await handle({ method: 'POST', path, query: '', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)), signal: NEVER_CANCELLED });
        return { status: answer.status, json: JSON.parse(String(answer.body)) as { error?: { code?: string; type?: string } } };
      };
      try {
        expect((await call(ADMIN, '/v1/switchyard/keys', { owner: 'before' })).status).toBe(201);
        await down();

        expect((await call(ADMIN, '/v1/switchyard/deployments/oai/drain', { reason: 'provider incident' })).status).toBe(200);
        expect((await call(USER, '/v1/chat/completions', { model: 'chat', messages: [{ role: 'user', content: 'hi' }] })).status).toBe(403);
        // A key change cannot be made without its entry: refused, in the admin API's error shape.
        const refused = await call(ADMIN, '/v1/switchyard/keys', { owner: 'during' });
        expect([refused.status, refused.json.error?.code, refused.json.error?.type]).toEqual([503, 'ledger_unavailable', 'server_error']);
        expect((await call(ADMIN, '/v1/switchyard/deployments/oai/undrain')).status).toBe(200);

        await proxy.start();
        const log = app.governance.audit as AuditLog;
        await expect
          .poll(async () => (await entries(log)).map((e) => [e.action, e.subject]), { timeout: 5_000 })
          .toEqual([
            ['key.created', expect.stringMatching(/^key:/)],
            ['deployment.drained', 'deployment:oai'],
            ['permission.denied', 'model:chat'],
            ['deployment.undrained', 'deployment:oai'],
          ]);
        expect((await call(ADMIN, '/v1/switchyard/keys', { owner: 'after' })).status).toBe(201);
        expect((await entries(log)).map((e) => e.action)).toEqual(['key.created', 'deployment.drained', 'permission.denied', 'deployment.undrained', 'key.created']);
        expect(await log.verify()).toMatchObject({ checked: 5, broken: undefined });
      } finally {
        await app.close();
      }
    });

    it('keeps the entry of an action it answered while the database was down through a SIGKILL, and the next start stores it once', async () => {
      const schema = testSchema('audit_outage_kill');
      schemas.push(schema);
      const journalDir = join(dir, 'kill-journal');
      const configPath = writeServeConfig(dir, sim.url, [
        'api_keys:',
        `  - { id: ops, key: ${ADMIN}, role: admin }`,
        `ledger: { store: postgres, url: "${proxy.url(PG_URL)}", schema: ${schema}, journal_dir: "${journalDir}", spill_path: "${join(dir, 'kill-spill.jsonl')}", retry_interval_ms: 50 }`,
      ]);
      const cleanup: Array<() => Promise<unknown> | void> = [];
      const driver = openPostgres(PG_URL, schema, silentLogger);
      try {
        const first = await serveProcess(configPath, { cleanup });
        await down();
        const drained = await request(`${first.url}/v1/switchyard/deployments/oai/drain`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'before the kill' }) });
        expect(drained.statusCode).toBe(200);
        await drained.body.dump();
        first.child.kill('SIGKILL');
        await first.exited;
        expect(readdirSync(join(journalDir, 'audit')).filter((n) => n.endsWith('.jsonl')).length).toBeGreaterThan(0);

        await proxy.start();
        const second = await serveProcess(configPath, { cleanup });
        const log = new AuditLog(driver);
        await expect.poll(async () => (await entries(log)).map((e) => [e.actor, e.action, e.subject, e.details]), { timeout: 10_000 }).toEqual([['key:ops', 'deployment.drained', 'deployment:oai', { reason: 'before the kill' }]]);
        expect(await log.verify()).toMatchObject({ checked: 1, broken: undefined });
        second.child.kill('SIGTERM');
        await second.exited;
        expect(readdirSync(join(journalDir, 'audit')).filter((n) => n.endsWith('.jsonl'))).toEqual([]);
      } finally {
        for (const c of cleanup) await c();
        await driver.close();
      }
    }, 30_000);
  });
} else {
  describe.skip('the audit log of a gateway whose PostgreSQL goes down (DATABASE_URL is not set)', () => {
    it('skipped', () => undefined);
  });
}
