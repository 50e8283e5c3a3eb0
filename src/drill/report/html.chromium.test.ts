import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { percentiles } from '../measure.js';
import type { DrillResult } from '../run.js';
import { formatDrillHtml } from './html.js';

/**
 * Opens the drill time line in headless Chromium and reads back the DOM it rendered. By hand:
 * `switchyard drill ... --out d`, then `chromium --headless --screenshot=d.png --window-size=1000,600 file://$PWD/d/drill.html`.
 */
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));

const none = percentiles([]);
const result: DrillResult = {
  plan: { group: 'chat', scenario: 'region-outage', ratePerS: 10, durationMs: 4_000, requests: 40, warmupRequests: 2, targets: [{ deployment: 'us-east', via: 'simulator' }], windows: [{ fromMs: 1_000, toMs: 2_500, effect: { status: 503 } }], shadowShare: 0, maxCostUsd: 0.01 },
  metrics: {
    faultStartMs: 1_000,
    faultEndMs: 2_500,
    requests: 40,
    timeToDetectMs: 120,
    timeToFullFailoverMs: 300,
    errors: { total: 1, byKind: { unavailable: 1 } },
    latencyMs: { before: percentiles([10, 12]), during: percentiles([40, 90]), after: none },
    attemptsPerRequest: { mean: 1.2, max: 3 },
    failedOver: true,
    failbackMs: 600,
    flapped: false,
  },
  cost: { usd: 0.001, shadowUsd: 0, shadowUsdPerHour: 0, unpricedAttempts: 0 },
  faults: [{ fromMs: 1_000, toMs: 2_500, effect: { status: 503 }, appliedAtMs: 1_000, appliedToMs: 2_500 }],
  injectionErrors: [],
  timeline: [
    { second: 0, served: { 'us-east': 10 }, errors: 0, p95Ms: 12, breakers: { 'us-east': 'closed' } },
    { second: 1, served: { 'us-east': 2, 'eu-west': 7 }, errors: 1, p95Ms: 90, breakers: { 'us-east': 'open' } },
    { second: 2, served: { 'eu-west': 10 }, errors: 0, p95Ms: 40, breakers: { 'us-east': 'half-open' } },
    { second: 3, served: { 'us-east': 10 }, errors: 0, p95Ms: 11, breakers: { 'us-east': 'closed' } },
  ],
};

describe.skipIf(!CHROMIUM)(`drill HTML time line in headless Chromium${CHROMIUM ? '' : ' (skipped: no /usr/bin/chromium on this machine)'}`, () => {
  it('renders the stacked bars, the error bar, the shaded fault window and the breaker strip', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'drill-html-')), 'drill.html');
    writeFileSync(file, formatDrillHtml(result, ['p95 latency during the fault 90 ms (max 50 ms)']));
    const dom = execFileSync(CHROMIUM as string, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--dump-dom', `file://${file}`], { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'ignore'] });
    expect(dom).toContain('id="drill-timeline"');
    expect(dom.match(/class="rps-bar"/g)).toHaveLength(5);
    expect(dom.match(/class="error-bar"/g)).toHaveLength(1);
    expect(dom.match(/class="fault-window"/g)).toHaveLength(1);
    expect(dom.match(/class="breaker-cell" data-state="open"/g)).toHaveLength(1);
    expect(dom).toContain('SLOs broken');
  });
});
