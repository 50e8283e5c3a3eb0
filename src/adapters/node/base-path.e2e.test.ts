import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../app.js';
import { resolveConfig } from '../../config/load.js';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';
import { startServer, type RunningServer } from './server.js';

const ADMIN = 'sk-admin-under-a-prefix';

// An Ingress or reverse proxy that routes https://host/llm/... to the pod without rewriting the path.
describe('the node server under server.base_path: /llm', () => {
  let sim: SimServer;
  let app: App;
  let server: RunningServer;

  beforeAll(async () => {
    sim = await startOpenAISim();
    const config = resolveConfig({
      server: { base_path: '/llm' },
      api_keys: [{ id: 'ops', key: ADMIN, role: 'admin' }],
      deployments: [{ id: 'sim-a', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1` }],
      groups: [{ name: 'chat', deployments: ['sim-a'] }],
      ledger: { enabled: false },
    });
    app = await createApp(config);
    server = await startServer(app.gateway, { ...app.serverOptions, port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await app.close();
    await sim.close();
  });

  it('serves the official openai SDK with baseURL http://host:port/llm/v1: a chat, a stream, the model list', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/llm/v1`, apiKey: ADMIN, maxRetries: 0 });
    const chat = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });
    expect(chat.choices[0]?.message.content).toEqual(expect.any(String));
    let text = '';
    for await (const chunk of await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], stream: true })) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).not.toBe('');
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain('chat');
  });

  it('answers a client that left the prefix out 404, saying where the gateway is', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: ADMIN, maxRetries: 0 });
    const failure = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OpenAI.NotFoundError);
    expect((failure as InstanceType<typeof OpenAI.NotFoundError>).message).toContain('served under /llm (server.base_path): call /llm/v1/chat/completions');
  });

  it('answers the health probes at /healthz (kubelet, at the pod) and /llm/healthz (through the Ingress)', async () => {
    for (const path of ['/healthz', '/readyz', '/llm/healthz', '/llm/readyz']) {
      const answer = await request(`${server.url}${path}`);
      expect([path, answer.statusCode]).toEqual([path, 200]);
      await answer.body.dump();
    }
  });

  it("serves the dashboard under the prefix, whose feed the page finds next to its own path", async () => {
    const page = await request(`${server.url}/llm/dashboard`);
    expect(page.statusCode).toBe(200);
    const html = await page.body.text();
    // The page names no path from the root: its one request goes to location.pathname + '/events'.
    expect(html).toContain("location.pathname.replace(/\\/?$/, '/events')");
    expect(html.match(/["'`(]\/(?![/\\])[A-Za-z][^"'`)]*/g)).toEqual(["'/events"]);
    const abort = new AbortController();
    const feed = await request(`${server.url}/llm/dashboard/events`, { headers: { authorization: `Bearer ${ADMIN}` }, signal: abort.signal });
    expect([feed.statusCode, feed.headers['content-type']]).toEqual([200, 'text/event-stream; charset=utf-8']);
    abort.abort();
  });
});
