import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../app.js';
import { resolveConfig } from '../config/load.js';
import type { HttpResponse } from '../http/exchange.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';
import { dashboardEvents } from './feed.js';
import { dashboardPage } from './page.js';
import { userRequest } from '../testing/canonical.js';

/**
 * The dashboard in a real headless Chromium, against a running gateway with simulated upstreams: the
 * page loads, lists the deployments and shows a breaker a simulator fault opened. A screenshot goes
 * to .switchyard/artifacts/dashboard.png. By hand: `switchyard demo` prints the dashboard URL.
 */
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));
const ARTIFACTS = resolve('.switchyard/artifacts');
const run = promisify(execFile);

function chromium(url: string, extra: string[]): Promise<{ stdout: string }> {
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--window-size=1280,900'];
  return run(CHROMIUM as string, [...flags, ...extra, url], { encoding: 'utf8', timeout: 30_000 });
}

/** A tiny node:http front for the two HttpResponse functions, as the real handler mounts them. */
function serve(app: App, frames: Array<{ at: number; data: string }>): Server {
  return createServer((req, res) => {
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const answer: HttpResponse = req.url === '/dashboard' ? dashboardPage() : req.url === '/dashboard/events' ? dashboardEvents(app, abort.signal) : { status: 404, headers: {}, body: '' };
    res.writeHead(answer.status, answer.headers);
    if (typeof answer.body === 'string' || answer.body instanceof Uint8Array) {
      res.end(answer.body);
      return;
    }
    const body = answer.body;
    void (async () => {
      for await (const chunk of body) {
        frames.push({ at: Date.now(), data: chunk });
        if (!res.write(chunk)) await new Promise((ok) => res.once('drain', ok));
      }
      res.end();
    })();
  });
}

describe.skipIf(!CHROMIUM)(`dashboard in headless Chromium${CHROMIUM ? '' : ' (skipped: no /usr/bin/chromium on this machine)'}`, () => {
  let eu: SimServer;
  let us: SimServer;
  let app: App;
  let server: Server;
  let url: string;
  const frames: Array<{ at: number; data: string }> = [];

  beforeAll(async () => {
    [eu, us] = await Promise.all([startOpenAISim({ name: 'sim-eu', apiKey: 'k' }), startOpenAISim({ name: 'sim-us', apiKey: 'k' })]);
    const deployment = (id: string, region: string, sim: SimServer) => ({ id, provider: 'openai-compatible', model: 'gpt-4o-mini', region, endpoint: `${sim.url}/v1`, api_key: 'k' });
    const config = resolveConfig({
      deployments: [deployment('openai-eu', 'eu-west-1', eu), deployment('openai-us', 'us-east-1', us)],
      groups: [{ name: 'chat', strategy: 'priority', deployments: ['openai-eu', 'openai-us'] }],
      routing: { breaker: { consecutive_failures: 2, cool_off_ms: 60_000 } },
      ledger: { store: 'sqlite', path: join(mkdtempSync(join(tmpdir(), 'dash-')), 'ledger.sqlite') },
    });
    app = await createApp(config);
    server = serve(app, frames);
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dashboard`;
    await app.gateway.chat(userRequest('chat', 'Hello!'));
  });

  afterAll(async () => {
    server?.close();
    await app?.close();
    await Promise.all([eu?.close(), us?.close()]);
  });

  it('shows the deployments, and a breaker a simulator fault opened within 2 s; writes a screenshot', async () => {
    // A connected dashboard's feed gets the open breaker within 2 s of the fault opening it.
    const feed = dashboardEvents(app, new AbortController().signal).body as AsyncIterableIterator<string>;
    expect((await feed.next()).value).toContain('"breaker":"closed"');
    eu.faults.add({ status: 503, count: 10 });
    let openedAt = 0;
    for (let i = 0; i < 5 && openedAt === 0; i += 1) {
      const before = Date.now();
      await app.gateway.chat(userRequest('chat', 'Hello!'));
      if (app.gateway.status().deployments[0]?.breaker.state === 'open') openedAt = before;
    }
    expect(openedAt).toBeGreaterThan(0);
    let frame = '';
    while (!frame.includes('"breaker":"open"') && Date.now() - openedAt < 5_000) frame = String((await feed.next()).value);
    expect(Date.now() - openedAt).toBeLessThanOrEqual(2_000);
    await feed.return?.();

    // The page in Chromium: headless Chromium runs the page's script and its first feed frame, then dumps the DOM.
    const { stdout: dom } = await chromium(url, ['--virtual-time-budget=3000', '--dump-dom']);
    expect(frames.length).toBeGreaterThan(0);
    const table = /<table id="deployments">[\s\S]*?<\/table>/.exec(dom)?.[0] ?? '';
    const rows = [...table.matchAll(/<tr><th scope="row" class="text">([^<]+)<\/th>(.*?)<\/tr>/g)];
    expect(rows.map((m) => m[1])).toEqual(['openai-eu', 'openai-us']);
    expect(rows[0]?.[2]).toContain('<td class="state state-bad">open');
    expect(rows[1]?.[2]).toContain('<td class="state state-ok">closed</td>');
    expect(dom).toMatch(/<th scope="row" class="text">eu-west-1<\/th><td class="state state-bad">0 of 1 up<\/td>/);
    expect(dom).toContain('<strong id="open-breakers">1</strong>');
    expect(dom).toMatch(/<strong id="failovers">[1-9]\d*<\/strong>/);

    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, 'dashboard.png');
    await chromium(url, ['--virtual-time-budget=3000', `--screenshot=${shot}`]);
    expect(statSync(shot).size).toBeGreaterThan(10_000);
  }, 60_000);
});
