import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { functionTimeoutMs } from './function-timeout.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** An app folder whose host.json holds `host`; none when undefined. */
function appDir(host?: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-azure-'));
  dirs.push(dir);
  if (host) writeFileSync(join(dir, 'host.json'), JSON.stringify({ version: '2.0', ...host }));
  return dir;
}

describe('functionTimeoutMs', () => {
  it("reads host.json's functionTimeout", () => {
    expect(functionTimeoutMs({}, appDir({ functionTimeout: '00:30:00' }))).toBe(1_800_000);
    expect(functionTimeoutMs({}, appDir({ functionTimeout: '1.02:00:05' }))).toBe((26 * 3_600 + 5) * 1_000);
  });

  it('takes the app setting AzureFunctionsJobHost__functionTimeout over host.json', () => {
    expect(functionTimeoutMs({ AzureFunctionsJobHost__functionTimeout: '00:10:00' }, appDir({ functionTimeout: '00:30:00' }))).toBe(600_000);
  });

  it("falls back to the plan's default: 30 minutes, 5 on the Consumption plan, also for a value it cannot read", () => {
    expect(functionTimeoutMs({}, appDir())).toBe(1_800_000);
    expect(functionTimeoutMs({ WEBSITE_SKU: 'Dynamic' }, appDir())).toBe(300_000);
    expect(functionTimeoutMs({}, appDir({ functionTimeout: 'half an hour' }))).toBe(1_800_000);
  });

  it('knows no bound for -1 (unbounded)', () => {
    expect(functionTimeoutMs({}, appDir({ functionTimeout: '-1' }))).toBeUndefined();
  });
});
