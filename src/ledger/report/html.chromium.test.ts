import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeUsage } from '../../core/types.js';
import { toUsageEvent } from '../event.js';
import { openSqlite } from '../store/sqlite-driver.js';
import { SqlLedgerStore } from '../store/sql-store.js';
import { attempt } from '../testing/fixtures.js';
import { buildReport } from './build.js';
import { formatHtml, htmlData } from './html.js';

/**
 * Opens the HTML report in headless Chromium and reads back the DOM it rendered: the page must parse
 * into the chart with one bar per day. By hand: `switchyard report -c CONFIG --format html --out r.html`,
 * then `chromium --headless --screenshot=r.png --window-size=900,900 file://$PWD/r.html`.
 */
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));

describe.skipIf(!CHROMIUM)(`HTML report in headless Chromium${CHROMIUM ? '' : ' (skipped: no /usr/bin/chromium on this machine)'}`, () => {
  it('renders the daily cost chart with its bars', async () => {
    const store = await SqlLedgerStore.open(openSqlite(':memory:'));
    const day = (d: string) => Date.parse(`2025-06-0${d}T12:00:00Z`);
    await store.insert(['1', '2', '3'].map((d) => toUsageEvent(attempt({ requestId: d, startedAt: day(d), usage: makeUsage({ prompt: 10 }) }), { usd: Number(d), priced: true })));
    const from = Date.parse('2025-06-01');
    const to = Date.parse('2025-06-04');
    const report = await buildReport(store, { from, to, groupBy: ['provider'] });
    const file = join(mkdtempSync(join(tmpdir(), 'html-')), 'r.html');
    writeFileSync(file, formatHtml(await htmlData(store, report, from, to)));
    await store.close();
    const dom = execFileSync(CHROMIUM as string, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--dump-dom', `file://${file}`], { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'ignore'] });
    expect(dom).toContain('id="daily-cost-chart"');
    expect(dom.match(/class="bar"/g)).toHaveLength(3);
  });
});
