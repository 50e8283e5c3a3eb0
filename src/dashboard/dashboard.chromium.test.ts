import { existsSync, mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../adapters/node/server.js';
import { createApp, type App } from '../app.js';
import { DEMO_UPSTREAMS, type DemoUpstream } from '../cli/demo-upstreams.js';
import { parseConfig } from '../config/load.js';

/**
 * The dashboard in a real headless Chromium (Debian's, driven by playwright-core), against a running
 * gateway in front of the demo's simulated clouds: the page signs in with the admin key, lists the
 * deployments, shows a breaker that a simulator fault opened within 2 s, and is usable with a
 * keyboard and a screen reader. The screenshot goes to .switchyard/artifacts/dashboard.png.
 * By hand: `switchyard demo` prints the dashboard URL.
 */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve('.switchyard/artifacts');
const ADMIN = 'sk-admin-dashboard-browser';
const USER = 'sk-user-dashboard-browser';

/** The breaker cell's text of each deployment row, as the page shows it. */
async function breakerCells(page: Page): Promise<Record<string, string>> {
  const rows = page.locator('#deployments tbody tr');
  const ids = await rows.locator('th').allTextContents();
  const breakers = await rows.locator('td:nth-child(5)').allTextContents();
  return Object.fromEntries(ids.map((id, i) => [id, breakers[i] ?? '']));
}

/** What has keyboard focus: tag and accessible-ish name, e.g. `a:Skip to the deployments` (`body` for none). */
const FOCUSED = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return 'body';
  return el.tagName.toLowerCase() + ':' + (el.getAttribute('aria-labelledby') ?? el.textContent ?? '').trim();
})()`;

describe.skipIf(!existsSync(CHROMIUM))(`dashboard in headless Chromium${existsSync(CHROMIUM) ? '' : ` (skipped: no ${CHROMIUM}; apt-get install chromium)`}`, () => {
  let upstreams: DemoUpstream[];
  let app: App;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let deploymentIds: string[];

  const chat = async (): Promise<number> => {
    const res = await request(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${USER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Hello!' }] }),
    });
    await res.body.dump();
    return res.statusCode;
  };

  beforeAll(async () => {
    upstreams = await Promise.all(DEMO_UPSTREAMS.map((start) => start()));
    const deployments = upstreams.flatMap((u) => u.deployments);
    deploymentIds = deployments.map((d) => String(d.id));
    const chatIds = deployments.filter((d) => !String(d.model).includes('embed')).map((d) => String(d.id));
    const parsed = parseConfig({
      deployments,
      groups: [{ name: 'chat', strategy: 'priority', deployments: chatIds }, ...upstreams.flatMap((u) => u.groups)],
      api_keys: [
        { id: 'ops', key: ADMIN, role: 'admin' },
        { id: 'app', key: USER },
      ],
      routing: { breaker: { consecutive_failures: 2, cool_off_ms: 60_000 }, backoff: { base_ms: 1, cap_ms: 2 } },
      ledger: { store: 'sqlite', path: join(mkdtempSync(join(tmpdir(), 'dash-')), 'ledger.sqlite') },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    app = await createApp(parsed.config);
    server = await startServer(app.gateway, { ...app.serverOptions, port: 0, host: '127.0.0.1' });
    expect(await chat()).toBe(200);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.shutdown(100);
    await app?.close();
    await Promise.all((upstreams ?? []).map((u) => u.sim.close()));
  });

  it('signs in with the admin key from the URL fragment, drops it from the address bar, and lists every deployment', async () => {
    await page.goto(`${server.url}/dashboard#key=${ADMIN}`);
    await expect.poll(() => page.textContent('#connection')).toBe('Live');
    expect(page.url()).toBe(`${server.url}/dashboard`);
    await expect.poll(() => page.locator('#deployments tbody tr').count()).toBe(deploymentIds.length);
    const breakers = await breakerCells(page);
    expect(Object.keys(breakers)).toEqual(deploymentIds);
    expect(Object.values(breakers).every((b) => b === 'closed')).toBe(true);
    expect(await page.textContent('#open-breakers')).toBe('0');
  });

  it('shows a breaker opened by a simulator fault within 2 s, and announces it', async () => {
    const first = upstreams[0] as DemoUpstream;
    const victim = String(first.deployments[0]?.id);
    const fault = await request(`${first.sim.url}/__sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 503, count: 20 }) });
    expect(fault.statusCode).toBeLessThan(300);
    await fault.body.dump();
    let openedAt = 0;
    for (let i = 0; i < 5 && openedAt === 0; i += 1) {
      const before = Date.now();
      expect(await chat()).toBe(200); // served by the group's next deployment
      if (app.gateway.status().deployments.find((d) => d.id === victim)?.breaker.state === 'open') openedAt = before;
    }
    expect(openedAt).toBeGreaterThan(0);
    const cell = page.locator('#deployments tbody tr', { has: page.locator(`th:text-is("${victim}")`) }).locator('td:nth-child(5)');
    await expect.poll(() => cell.textContent(), { interval: 50, timeout: 5_000 }).toMatch(/^open/);
    const delayMs = Date.now() - openedAt;
    process.stdout.write(`dashboard showed the open breaker of ${victim} ${delayMs} ms after the request that opened it began\n`);
    expect(delayMs).toBeLessThanOrEqual(2_000);
    expect(await cell.getAttribute('class')).toBe('state state-bad');
    expect(await page.textContent('#open-breakers')).toBe('1');
    expect(await page.textContent('#changes')).toContain(`Breaker of ${victim} is now open.`);

    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    process.stdout.write(`dashboard screenshot: ${shot}\n`);
    expect(statSync(shot).size).toBeGreaterThan(10_000);
  }, 30_000);

  it('shows a drained deployment as drained, with the reason, and announces the drain and the undrain', async () => {
    const victim = String(upstreams[1]?.deployments[0]?.id);
    const admin = async (action: 'drain' | 'undrain'): Promise<void> => {
      const res = await request(`${server.url}/v1/switchyard/deployments/${victim}/${action}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'maint' }) });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
    };
    const row = page.locator('#deployments tbody tr', { has: page.locator(`th:text-is("${victim}")`) });
    await admin('drain');
    await expect.poll(() => row.locator('td:nth-child(6)').textContent(), { interval: 50, timeout: 5_000 }).toBe('drained (maint)');
    expect(await row.locator('td:nth-child(4)').textContent()).toBe('drained');
    expect(await page.textContent('#changes')).toContain(`${victim} is now drained (maint).`);
    await admin('undrain');
    await expect.poll(() => row.locator('td:nth-child(6)').textContent(), { interval: 50, timeout: 5_000 }).toBe('in rotation');
    expect(await page.textContent('#changes')).toContain(`${victim} is back in rotation.`);
  }, 30_000);

  it('gives assistive technology landmarks, a heading outline, named tables with headers and a polite live region', async () => {
    // The accessibility tree Chromium hands to screen readers.
    const tree = await page.locator('body').ariaSnapshot();
    expect(tree).toMatch(/^- banner:\n {2}- heading "Switchyard" \[level=1\]/m);
    expect(tree).toMatch(/^- main:/m);
    const headings = [...tree.matchAll(/heading "([^"]+)" \[level=(\d)\]/g)].map((m) => [m[1], Number(m[2])]);
    expect(headings).toEqual([['Switchyard', 1], ['At a glance', 2], ['Deployments', 2], ['Regions', 2], ['Cost', 2]]);
    for (const table of ['Health, breaker, routing, latency and load of each deployment', 'Deployments up per region', "Today's cost per provider (UTC day)"]) expect(tree).toContain(`- table "${table}":`);
    for (const header of ['Deployment', 'Breaker', 'Routing', 'Latency p50', 'Region', 'Unpriced attempts']) expect(tree).toContain(`- columnheader "${header}"`);
    for (const id of deploymentIds) expect(tree).toContain(`- rowheader "${id}"`);
    expect(tree).toContain('- status: Live');
    expect(tree).toContain('- region "Deployments"');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.title()).toBe('Switchyard dashboard');
    const live = page.locator('[aria-live]');
    expect(await live.count()).toBe(1);
    expect([await live.getAttribute('id'), await live.getAttribute('aria-live'), await live.getAttribute('aria-atomic')]).toEqual(['changes', 'polite', 'true']);
  });

  it('takes keyboard focus in reading order: the skip link, then the scrollable deployments table; the skip link moves focus to main', async () => {
    await page.evaluate('document.activeElement && document.activeElement.blur()');
    const order: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      await page.keyboard.press('Tab');
      order.push(await page.evaluate<string>(FOCUSED));
    }
    expect(order).toEqual(['a:Skip to the deployments', 'div:deployments-h']);
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate<string>(FOCUSED)).toBe('a:Skip to the deployments');
    await page.keyboard.press('Enter');
    expect(await page.evaluate<string>(FOCUSED)).toMatch(/^main:/);
    // Focus is visible: the focused element draws an outline.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle')).toBe('solid');
  });
});
