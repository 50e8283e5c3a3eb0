import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createApp, type App } from '../app.js';
import { parseConfig } from '../config/load.js';
import { GatewayError } from '../core/errors.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';
import { startServer, type RunningServer } from '../adapters/node/server.js';
import { createBrowserGuard } from './browser-guard.js';
import type { HttpRequest } from './exchange.js';

const NEVER = { aborted: false, reason: undefined, addEventListener: () => undefined, removeEventListener: () => undefined } as unknown as HttpRequest['signal'];

function req(headers: Record<string, string>, method = 'POST'): HttpRequest {
  return { method, path: '/v1/chat/completions', query: '', headers, body: undefined, signal: NEVER };
}

function refusal(guard: (r: HttpRequest) => void, headers: Record<string, string>, method = 'POST'): string | undefined {
  try {
    guard(req(headers, method));
    return undefined;
  } catch (err) {
    if (!GatewayError.isInstance(err)) throw err;
    expect(err.status).toBe(403);
    return err.code;
  }
}

describe('the browser guard', () => {
  const keyed = createBrowserGuard({ allowedOrigins: ['https://app.example.com/'] });
  const open = createBrowserGuard({ allowedOrigins: [], openHosts: ['gateway.internal'] });

  it('lets clients that are not browsers through (no Origin, no Sec-Fetch-Site)', () => {
    expect(refusal(keyed, { host: 'api.example.com' })).toBeUndefined();
  });

  it('refuses a page of another origin, however it names itself', () => {
    expect(refusal(keyed, { host: '127.0.0.1:4000', origin: 'https://evil.example' })).toBe('cross_origin_request');
    expect(refusal(keyed, { host: '127.0.0.1:4000', origin: 'null' })).toBe('cross_origin_request');
    expect(refusal(keyed, { host: '127.0.0.1:4000', 'sec-fetch-site': 'cross-site' })).toBe('cross_origin_request');
    expect(refusal(keyed, { host: '127.0.0.1:4000', 'sec-fetch-site': 'same-site' })).toBe('cross_origin_request');
  });

  it('lets a link followed from another site open a page (a GET navigation: no Origin), not post', () => {
    expect(refusal(keyed, { host: '127.0.0.1:4000', 'sec-fetch-site': 'cross-site' }, 'GET')).toBeUndefined();
    expect(refusal(keyed, { host: '127.0.0.1:4000', 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }, 'GET')).toBe('cross_origin_request');
  });

  it('matches an allowed origin as browsers send it: default ports left out, any scheme (extensions, apps)', () => {
    const guard = createBrowserGuard({ allowedOrigins: ['https://app.example.com:443', 'chrome-extension://abcdef'] });
    expect(refusal(guard, { host: 'gw:4000', origin: 'https://app.example.com' })).toBeUndefined();
    expect(refusal(guard, { host: 'gw:4000', origin: 'chrome-extension://abcdef' })).toBeUndefined();
    expect(refusal(guard, { host: 'gw:4000', origin: 'chrome-extension://other' })).toBe('cross_origin_request');
  });

  it("admits the gateway's own pages (the dashboard) and the configured origins", () => {
    expect(refusal(keyed, { host: '127.0.0.1:4000', origin: 'http://127.0.0.1:4000', 'sec-fetch-site': 'same-origin' })).toBeUndefined();
    expect(refusal(keyed, { host: 'GW.example.com', origin: 'https://gw.example.com' })).toBeUndefined();
    expect(refusal(keyed, { host: 'gw.example.com', origin: 'HTTPS://App.Example.com' })).toBeUndefined();
  });

  it('on a keyless gateway, answers only localhost, IP addresses and the allowed host names (DNS rebinding)', () => {
    for (const host of ['localhost:4000', 'localhost.:4000', 'app.localhost', '127.0.0.1:4000', '10.1.2.3', '[::1]:4000', 'gateway.internal:4000']) expect(refusal(open, { host }), host).toBeUndefined();
    for (const host of ['2130706433:4000', 'localhost.attacker.example', 'evil.example.']) expect(refusal(open, { host }), host).toBe('host_not_allowed');
    expect(refusal(open, { host: 'rebind.attacker.example:4000' })).toBe('host_not_allowed');
    // Same-origin for the browser after rebinding: the Host check is what stops it.
    expect(refusal(open, { host: 'rebind.attacker.example:4000', origin: 'http://rebind.attacker.example:4000' })).toBe('host_not_allowed');
  });

  it('with keys, any Host is fine (an unauthenticated page can do nothing)', () => {
    expect(refusal(keyed, { host: 'rebind.attacker.example:4000' })).toBeUndefined();
  });
});

describe('a keyless gateway served on the network (serve, demo) and a page on another site', () => {
  let sim: SimServer;
  let app: App;
  let server: RunningServer;

  beforeAll(async () => {
    sim = await startOpenAISim();
    const parsed = parseConfig({ deployments: [{ id: 'sim-a', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1` }], groups: [{ name: 'chat', deployments: ['sim-a'] }] }, {});
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    app = await createApp(parsed.config, { listens: true });
    server = await startServer(app.gateway, { ...app.serverOptions, port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await app.close();
    await sim.close();
  });

  const post = (path: string, headers: Record<string, string>, body = '{}') => request(`http://127.0.0.1:${server.port}${path}`, { method: 'POST', headers, body });

  it("cannot drain a deployment or spend through it with a text/plain form post (CSRF)", async () => {
    const drain = await post('/v1/switchyard/deployments/sim-a/drain', { origin: 'https://evil.example', 'content-type': 'text/plain' }, '{"reason":"csrf"}');
    expect(drain.statusCode).toBe(403);
    expect(((await drain.body.json()) as { error: { code: string } }).error.code).toBe('cross_origin_request');
    expect(app.gateway.status().deployments.find((d) => d.id === 'sim-a')?.drain.drained).toBe(false);
    const chat = await post('/v1/chat/completions', { origin: 'https://evil.example', 'content-type': 'text/plain' }, JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }));
    expect(chat.statusCode).toBe(403);
    await chat.body.dump();
  });

  it('cannot be read through a rebound DNS name, while health probes by any name still pass', async () => {
    const config = await request(`http://127.0.0.1:${server.port}/v1/switchyard/config`, { headers: { host: 'rebind.attacker.example' } });
    expect(config.statusCode).toBe(403);
    expect(((await config.body.json()) as { error: { code: string } }).error.code).toBe('host_not_allowed');
    const probe = await request(`http://127.0.0.1:${server.port}/healthz`, { headers: { host: 'rebind.attacker.example' } });
    expect(probe.statusCode).toBe(200);
    await probe.body.dump();
  });

  it('answers curl and the SDKs as before', async () => {
    const chat = await post('/v1/chat/completions', { 'content-type': 'application/json' }, JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }));
    expect(chat.statusCode).toBe(200);
    await chat.body.dump();
  });
});
