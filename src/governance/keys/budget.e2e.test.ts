import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createApp, type App } from '../../app.js';
import { startServer, type RunningServer } from '../../adapters/node/server.js';
import { resolveConfig } from '../../config/load.js';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';

const ADMIN = 'sk-admin-for-key-budgets';

async function call(url: string, path: string, key: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await request(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
}

const chat = (url: string, key: string) => call(url, '/v1/chat/completions', key, { model: 'chat', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 16 });

describe('a virtual key with its own budget, through the server', () => {
  let sim: SimServer;
  let app: App;
  let server: RunningServer;

  beforeAll(async () => {
    sim = await startOpenAISim({ name: 'a' });
    const dir = mkdtempSync(join(tmpdir(), 'key-budgets-'));
    // No `budgets.limits` at all: the keys' own budgets alone turn the guard on.
    app = await createApp(
      resolveConfig({
        deployments: [{ id: 'd0', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1` }],
        groups: [{ name: 'chat', deployments: ['d0'] }],
        api_keys: [{ id: 'ops', key: ADMIN, role: 'admin' }],
        ledger: { store: 'sqlite', path: join(dir, 'ledger.sqlite'), journal: false, spill_path: join(dir, 'spill.jsonl') },
        keys: { hmac_secret: 'an-hmac-secret-of-at-least-32-characters', refresh_ms: 200 },
      }, {}),
    );
    server = await startServer(app.gateway, { ...app.serverOptions, port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await app.close();
    await sim.close();
  });

  it('refuses a key with 429 budget_exceeded once it spent its tiny hard budget, and leaves another key alone', async () => {
    const created = await call(server.url, '/v1/switchyard/keys', ADMIN, { owner: 'bo', budgets: [{ period: 'daily', hard_usd: 0.000001 }] });
    expect(created.status).toBe(201);
    const key = created.json.key as string;
    const id = created.json.id as string;
    const other = await call(server.url, '/v1/switchyard/keys', ADMIN, { owner: 'al', budgets: [{ period: 'daily', hard_usd: 1 }] });

    // Under the limit when admitted; its real cost then takes the key past it.
    expect((await chat(server.url, key)).status).toBe(200);
    const refused = await chat(server.url, key);
    expect(refused.status).toBe(429);
    expect(refused.json).toMatchObject({ error: { type: 'insufficient_quota' } });
    expect((refused.json.error as { message: string }).message).toContain(`"key:${id}:daily" (daily, key=${id})`);

    for (let i = 0; i < 2; i++) expect((await chat(server.url, other.json.key as string)).status).toBe(200);
    expect((await chat(server.url, ADMIN)).status).toBe(200);
  });
});
