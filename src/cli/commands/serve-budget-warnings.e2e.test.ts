import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { serveProcess, writeServeConfig } from '../../testing/serve-process.js';

const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('serve with a budget that would count nothing', () => {
  it('starts, and logs at start the warnings check-config prints, each by its path', async () => {
    const extra = ['ledger: { enabled: false }', 'api_keys:', '  - { id: k, key: "${SERVE_BUDGET_KEY:-client-key}", team: api }', 'budgets:', '  limits:', '    - { name: t, period: daily, per: tean, hard_usd: 1 }'];
    const gw = await serveProcess(writeServeConfig(mkdtempSync(join(tmpdir(), 'serve-budget-')), 'http://127.0.0.1:9', extra), { cleanup });
    const warnings = gw.lines().filter((l) => typeof l.msg === 'string' && l.msg.startsWith('no request carries a tag "tean"'));
    expect(warnings.map((l) => [l.level, l.path])).toEqual([[40, 'budgets.limits[0].per']]);
  });
});
