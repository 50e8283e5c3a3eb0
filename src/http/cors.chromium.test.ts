import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../adapters/node/server.js';
import { createApp, type App } from '../app.js';
import { DEMO_UPSTREAMS, type DemoUpstream } from '../cli/demo-upstreams.js';
import { parseConfig } from '../config/load.js';

/**
 * A web app calling the gateway from another origin, in a real headless Chromium (Debian's, driven by
 * playwright-core), against the demo's simulated clouds: a page served from an origin listed in
 * `server.allowed_origins` posts JSON with a key (a preflighted request) and reads the answer and its
 * headers; a page of any other origin cannot.
 */
const CHROMIUM = '/usr/bin/chromium';
const KEY = 'sk-web-app-cors-browser';

/** A tiny site on its own loopback port: its pages are another origin than the gateway's. */
async function startSite(): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>web app</title>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** What a page's fetch() of the gateway got: status, body and headers as the page can read them, or the error it threw. */
interface Fetched {
  status?: number;
  text?: string;
  requestId?: string | null;
  deployment?: string | null;
  error?: string;
}

/** A chat request from `page` to the gateway, as a web app would make it with fetch(). */
function chatFrom(page: Page, gateway: string, stream = false): Promise<Fetched> {
  return page.evaluate(
    async ({ gateway, key, stream }) => {
      try {
        const res = await fetch(`${gateway}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'x-stainless-lang': 'js' },
          body: JSON.stringify({ model: 'chat', stream, messages: [{ role: 'user', content: 'Hello from a web page' }] }),
        });
        return { status: res.status, text: await res.text(), requestId: res.headers.get('x-request-id'), deployment: res.headers.get('x-switchyard-deployment') };
      } catch (err) {
        return { error: String(err) };
      }
    },
    { gateway, key: KEY, stream },
  );
}

describe.skipIf(!existsSync(CHROMIUM))(`a web app on another origin, in headless Chromium${existsSync(CHROMIUM) ? '' : ` (skipped: no ${CHROMIUM}; apt-get install chromium)`}`, () => {
  let upstreams: DemoUpstream[];
  let allowed: { server: Server; url: string };
  let other: { server: Server; url: string };
  let app: App;
  let gateway: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    upstreams = await Promise.all(DEMO_UPSTREAMS.map((start) => start()));
    [allowed, other] = await Promise.all([startSite(), startSite()]);
    const deployments = upstreams.flatMap((u) => u.deployments);
    const chatIds = deployments.filter((d) => !String(d.model).includes('embed')).map((d) => String(d.id));
    const parsed = parseConfig({
      server: { allowed_origins: [allowed.url] },
      deployments,
      groups: [{ name: 'chat', strategy: 'priority', deployments: chatIds }, ...upstreams.flatMap((u) => u.groups)],
      api_keys: [{ id: 'web-app', key: KEY }],
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    app = await createApp(parsed.config);
    gateway = await startServer(app.gateway, { ...app.serverOptions, port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.shutdown(100);
    await app?.close();
    for (const site of [allowed, other]) if (site) await new Promise((resolve) => site.server.close(resolve));
    await Promise.all((upstreams ?? []).map((u) => u.sim.close()));
  });

  it('lets a page of an allowed origin post JSON with a key and read the answer, its request id and deployment', async () => {
    const page = await browser.newPage();
    await page.goto(allowed.url);
    const answer = await chatFrom(page, gateway.url);
    expect(answer.error).toBeUndefined();
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text ?? '{}').choices[0].message.content).toEqual(expect.any(String));
    expect(answer.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.deployment).toEqual(expect.any(String));
    const streamed = await chatFrom(page, gateway.url, true);
    expect(streamed.status).toBe(200);
    expect(streamed.text).toContain('data: [DONE]');
    await page.close();
  });

  it('refuses a page of any other origin: the fetch() the allowed page makes fails there, and the gateway serves nothing', async () => {
    const control = await browser.newPage();
    await control.goto(allowed.url);
    expect((await chatFrom(control, gateway.url)).status).toBe(200);
    await control.close();
    const page = await browser.newPage();
    await page.goto(other.url);
    const served = app.gateway.status().deployments.reduce((n, d) => n + d.requests, 0);
    const answer = await chatFrom(page, gateway.url);
    expect(answer.status).toBeUndefined();
    expect(answer.error).toMatch(/TypeError: Failed to fetch/);
    expect(app.gateway.status().deployments.reduce((n, d) => n + d.requests, 0)).toBe(served);
    await page.close();
  });
});
