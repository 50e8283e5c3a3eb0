import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../app.js';
import { startServer, type RunningServer } from '../adapters/node/server.js';
import { resolveConfig } from '../config/load.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';

const ADMIN = 'sk-admin-for-the-dashboard';
const USER = 'sk-user-for-the-dashboard';

/** Access log lines, to see when the server considers a request over. */
function recordingLogger(lines: Array<Record<string, unknown>>): Logger {
  return { ...silentLogger, info: (obj) => void lines.push(obj as Record<string, unknown>), child: () => recordingLogger(lines) };
}

describe('the dashboard, mounted in the server', () => {
  let sim: SimServer;
  const running: Array<{ app: App; server: RunningServer }> = [];

  async function serve(extra: Record<string, unknown>, accessLogger?: Logger): Promise<string> {
    const config = resolveConfig({
      deployments: [
        { id: 'openai-eu', provider: 'openai-compatible', model: 'gpt-4o-mini', region: 'eu-west-1', endpoint: `${sim.url}/v1`, api_key: 'k' },
        { id: 'openai-us', provider: 'openai-compatible', model: 'gpt-4o-mini', region: 'us-east-1', endpoint: `${sim.url}/v1`, api_key: 'k' },
      ],
      groups: [{ name: 'chat', strategy: 'priority', deployments: ['openai-eu', 'openai-us'] }],
      ledger: { enabled: false },
      ...extra,
    });
    const app = await createApp(config, { accessLogger });
    const server = await startServer(app.gateway, { ...app.serverOptions, port: 0, host: '127.0.0.1' });
    running.push({ app, server });
    return server.url;
  }

  const keys = { api_keys: [{ id: 'ops', key: ADMIN, role: 'admin' }, { id: 'user', key: USER }] };
  const get = (url: string, key?: string, signal?: AbortSignal) => request(url, { headers: key ? { authorization: `Bearer ${key}` } : {}, signal });

  beforeAll(async () => {
    sim = await startOpenAISim({ name: 'sim', apiKey: 'k' });
  });

  afterAll(async () => {
    for (const { app, server } of running) {
      await server.shutdown(100);
      await app.close();
    }
    await sim?.close();
  });

  it('serves the page and a live JSON snapshot naming the deployments on an open gateway', async () => {
    const url = await serve({});
    const page = await get(`${url}/dashboard`);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(await page.body.text()).toContain('<table id="deployments">');

    const abort = new AbortController();
    const events = await get(`${url}/dashboard/events`, undefined, abort.signal);
    expect(events.statusCode).toBe(200);
    expect(events.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    let text = '';
    for await (const chunk of events.body) {
      text += String(chunk);
      if (text.includes('\n\n')) break;
    }
    abort.abort();
    const data = /^retry: 2000\ndata: (.*)\n\n/.exec(text)?.[1] ?? '';
    const snapshot = JSON.parse(data) as { deployments: Array<{ id: string; region: string; breaker: string }> };
    expect(snapshot.deployments.map((d) => [d.id, d.region, d.breaker])).toEqual([
      ['openai-eu', 'eu-west-1', 'closed'],
      ['openai-us', 'us-east-1', 'closed'],
    ]);
  });

  it('sends the feed to admin keys only (401 without a key, 403 for a user key); the page itself needs none', async () => {
    const url = await serve(keys);
    const page = await get(`${url}/dashboard`);
    expect([page.statusCode, page.headers['content-type']]).toEqual([200, 'text/html; charset=utf-8']);
    await page.body.dump();
    const anonymous = await get(`${url}/dashboard/events`);
    expect(anonymous.statusCode).toBe(401);
    await anonymous.body.dump();
    const user = await get(`${url}/dashboard/events`, USER);
    expect(user.statusCode).toBe(403);
    expect(await user.body.json()).toMatchObject({ error: { code: 'admin_required' } });
    const abort = new AbortController();
    const admin = await get(`${url}/dashboard/events`, ADMIN, abort.signal);
    expect(admin.statusCode).toBe(200);
    abort.abort();
  });

  it('shows a deployment an operator drained as drained and down, with the reason, as the status API does', async () => {
    const url = await serve(keys);
    const drain = await request(`${url}/v1/switchyard/deployments/openai-eu/drain`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'maint' }) });
    expect(drain.statusCode).toBe(200);
    await drain.body.dump();
    const abort = new AbortController();
    const events = await get(`${url}/dashboard/events`, ADMIN, abort.signal);
    let text = '';
    for await (const chunk of events.body) {
      text += String(chunk);
      if (text.includes('\n\n')) break;
    }
    abort.abort();
    const snapshot = JSON.parse(/data: (.*)\n\n/.exec(text)?.[1] ?? '') as { deployments: Array<{ id: string; up: boolean; drained: boolean; drainReason: string | null }>; regions: unknown };
    expect(snapshot.deployments.map((d) => [d.id, d.up, d.drained, d.drainReason])).toEqual([
      ['openai-eu', false, true, 'maint'],
      ['openai-us', true, false, null],
    ]);
    expect(snapshot.regions).toEqual([{ region: 'eu-west-1', up: 0, total: 1 }, { region: 'us-east-1', up: 1, total: 1 }]);
  });

  it('ends the feed when the client goes away: the request is logged as over', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const url = await serve({ ...keys, dashboard: { update_ms: 250 } }, recordingLogger(lines));
    const abort = new AbortController();
    const events = await get(`${url}/dashboard/events`, ADMIN, abort.signal);
    const frames = events.body[Symbol.asyncIterator]();
    await frames.next();
    expect(lines.filter((l) => l.path === '/dashboard/events')).toEqual([]);
    abort.abort();
    await expect.poll(() => lines.filter((l) => l.path === '/dashboard/events').map((l) => l.key), { timeout: 2_000 }).toEqual(['ops']);
  });

  it('keeps an open feed out of the in-flight gauge and the request series: it is no client work', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const url = await serve({ ...keys, dashboard: { update_ms: 250 }, observability: { metrics: { public: true } } }, recordingLogger(lines));
    const metrics = async (): Promise<string> => (await get(`${url}/metrics`)).body.text();
    const abort = new AbortController();
    const events = await get(`${url}/dashboard/events`, ADMIN, abort.signal);
    await events.body[Symbol.asyncIterator]().next();
    expect(await metrics()).toMatch(/^switchyard_requests_in_flight 0$/m);
    abort.abort();
    await expect.poll(() => lines.some((l) => l.path === '/dashboard/events'), { timeout: 2_000 }).toBe(true);
    expect(await metrics()).not.toContain('route="/dashboard/events"');
  });

  it('answers 404 on both routes when dashboard.enabled is false', async () => {
    const url = await serve({ dashboard: { enabled: false } });
    for (const path of ['/dashboard', '/dashboard/events']) {
      const res = await get(`${url}${path}`);
      expect(res.statusCode).toBe(404);
      await res.body.dump();
    }
  });
});
