import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { request } from 'undici';
import { createApp, type App } from '../../app.js';
import { startServer, type RunningServer } from '../../adapters/node/server.js';
import { resolveConfig } from '../../config/load.js';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';

const ADMIN = 'sk-admin-for-key-limits';

async function call(url: string, path: string, key: string, body: unknown): Promise<{ status: number; headers: Record<string, unknown>; json: Record<string, unknown> }> {
  const res = await request(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.statusCode, headers: res.headers, json: (await res.body.json()) as Record<string, unknown> };
}

const chat = (url: string, key: string) => call(url, '/v1/chat/completions', key, { model: 'chat', messages: [{ role: 'user', content: 'Hi' }] });

describe('a virtual key with its own rate limit, through the server', () => {
  let sim: SimServer;
  let app: App;
  let server: RunningServer;

  beforeAll(async () => {
    // Twenty seconds into a minute (the clock runs on from there), so the requests share one minute window.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.parse('2026-03-02T10:00:20Z'), shouldAdvanceTime: true });
    sim = await startOpenAISim({ name: 'a' });
    const dir = mkdtempSync(join(tmpdir(), 'key-limits-'));
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
    vi.useRealTimers();
  });

  it('refuses the third request in a minute of a key created with requests_per_minute 2: 429 rate_limited with retry-after and x-ratelimit-* headers', async () => {
    const created = await call(server.url, '/v1/switchyard/keys', ADMIN, { owner: 'bo', rate_limits: { requests_per_minute: 2 } });
    expect(created.status).toBe(201);
    const key = created.json.key as string;
    const id = created.json.id as string;

    const first = await chat(server.url, key);
    expect(first.status).toBe(200);
    expect(first.headers).toMatchObject({ 'x-ratelimit-limit-requests': '2', 'x-ratelimit-remaining-requests': '1' });
    expect((await chat(server.url, key)).status).toBe(200);

    const third = await chat(server.url, key);
    expect(third.status).toBe(429);
    expect(third.json).toMatchObject({ error: { type: 'rate_limit_error', code: 'rate_limit_exceeded' } });
    expect((third.json.error as { message: string }).message).toContain(`"key:${id}"`);
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(30);
    expect(Number(third.headers['retry-after'])).toBeLessThanOrEqual(40);
    expect(third.headers).toMatchObject({ 'x-ratelimit-limit-requests': '2', 'x-ratelimit-remaining-requests': '0' });
    expect(third.headers['x-ratelimit-reset-requests']).toMatch(/^[34]\d(\.\d+)?s$/);

    // The admin key has no limit of its own: the virtual key's rule is that key's alone.
    for (let i = 0; i < 3; i++) expect((await chat(server.url, ADMIN)).status).toBe(200);
  });
});
