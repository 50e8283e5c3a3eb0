import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { routePrefixOf } from './route-prefix.js';

describe('the route prefix the Functions host serves the app under', () => {
  const dirs: string[] = [];
  const app = (hostJson?: unknown): string => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-host-'));
    dirs.push(dir);
    if (hostJson !== undefined) writeFileSync(join(dir, 'host.json'), typeof hostJson === 'string' ? hostJson : JSON.stringify(hostJson));
    return dir;
  };
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("is host.json's extensions.http.routePrefix, empty included (the shipped app's)", () => {
    expect(routePrefixOf({}, app({ version: '2.0', extensions: { http: { routePrefix: '' } } }))).toBe('');
    expect(routePrefixOf({}, app({ version: '2.0', extensions: { http: { routePrefix: 'llm' } } }))).toBe('llm');
  });

  it("is Azure's default, api, when host.json names none or cannot be read", () => {
    expect(routePrefixOf({}, app({ version: '2.0' }))).toBe('api');
    expect(routePrefixOf({}, app())).toBe('api');
    expect(routePrefixOf({}, app('{ not json'))).toBe('api');
  });

  it('is the app setting that overrides host.json, as the host reads it', () => {
    expect(routePrefixOf({ AzureFunctionsJobHost__extensions__http__routePrefix: 'gw' }, app({ extensions: { http: { routePrefix: '' } } }))).toBe('gw');
  });
});
