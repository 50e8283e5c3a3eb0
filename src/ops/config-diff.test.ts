import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import type { ConfigInput } from '../config/schema.js';
import { rawDeployment } from '../routing/testing/fakes.js';
import { CHANGES_SHOWN, configChanges } from './config-diff.js';

const OLD_KEY = 'sk-old-upstream-key-0123456789';
const NEW_KEY = 'sk-new-upstream-key-9876543210';

function config(extra: Partial<ConfigInput> = {}): ConfigInput {
  return {
    deployments: [rawDeployment('primary-oa', { api_key: OLD_KEY, region: 'eastus' }), rawDeployment('backup')],
    groups: [{ name: 'chat', strategy: 'priority', deployments: ['primary-oa', 'backup'] }],
    ...extra,
  };
}

const diff = (before: ConfigInput, after: ConfigInput) => configChanges(resolveConfig(before, {}), resolveConfig(after, {}));

describe('a reload\'s summary of what changed', () => {
  it('says nothing changed when the file is the same', () => {
    expect(diff(config(), config())).toEqual({ summary: 'nothing changed', sections: [], added: [], removed: [], changed: [], more: 0 });
  });

  it('names a deployment added and one removed by id, and the sections they are in', () => {
    const after = config({ deployments: [rawDeployment('primary-oa', { api_key: OLD_KEY, region: 'eastus' }), rawDeployment('canary')], groups: [{ name: 'chat', strategy: 'priority', deployments: ['primary-oa', 'canary'] }] });
    const changes = diff(config(), after);
    expect(changes).toMatchObject({ sections: ['deployments', 'groups'], added: ['deployments.canary'], removed: ['deployments.backup'], more: 0 });
    expect(changes.changed).toEqual([{ path: 'groups.chat.deployments' }]);
    expect(changes.summary).toBe('3 changes in deployments, groups');
  });

  it('names each changed setting by its path, with the values of routing settings only', () => {
    const before = config();
    const after = config({
      deployments: [rawDeployment('primary-oa', { api_key: OLD_KEY, region: 'westeurope', endpoint: 'http://127.0.0.1:10/v1' }), rawDeployment('backup')],
      groups: [{ name: 'chat', strategy: 'weighted', deployments: ['primary-oa', 'backup'] }],
      routing: { attempt_timeout_ms: 12_345 },
    });
    const changes = diff(before, after);
    expect(changes.sections).toEqual(['routing', 'deployments', 'groups']);
    expect(changes.changed).toEqual([
      { path: 'routing.attempt_timeout_ms', from: expect.any(Number), to: 12_345 },
      { path: 'deployments.primary-oa.region', from: 'eastus', to: 'westeurope' },
      { path: 'deployments.primary-oa.endpoint' },
      { path: 'groups.chat.strategy', from: 'priority', to: 'weighted' },
    ]);
  });

  it('names a changed key by its path and never shows either value', () => {
    const changes = diff(config(), config({ deployments: [rawDeployment('primary-oa', { api_key: NEW_KEY, region: 'eastus' }), rawDeployment('backup')] }));
    expect(changes.changed).toEqual([{ path: 'deployments.primary-oa.api_key' }]);
    const text = JSON.stringify(changes);
    for (const secret of [OLD_KEY, NEW_KEY]) expect(text).not.toContain(secret);
  });

  it('shows no header value, whatever its name: only the header\'s path', () => {
    const withHeader = (v: string) => config({ deployments: [rawDeployment('primary-oa', { api_key: OLD_KEY, region: 'eastus', headers: { 'x-tenant': v } }), rawDeployment('backup')] });
    const changes = diff(withHeader('tenant-value-one'), withHeader('tenant-value-two'));
    expect(changes.changed).toEqual([{ path: 'deployments.primary-oa.headers.x-tenant' }]);
    expect(JSON.stringify(changes)).not.toMatch(/tenant-value/);
  });

  it('shows no header value even when the header is named like a setting whose value it shows (model, region, *_timeout_ms)', () => {
    const withHeaders = (v: string) => config({ deployments: [rawDeployment('primary-oa', { api_key: OLD_KEY, region: 'eastus', headers: { model: v, upstream_timeout_ms: v } }), rawDeployment('backup')] });
    const changes = diff(withHeaders('tenant-value-one'), withHeaders('tenant-value-two'));
    expect(changes.changed).toEqual([{ path: 'deployments.primary-oa.headers.model' }, { path: 'deployments.primary-oa.headers.upstream_timeout_ms' }]);
    expect(JSON.stringify(changes)).not.toMatch(/tenant-value/);
  });

  it('hides an allow-listed setting\'s value when it is a configured secret', () => {
    const changes = diff(config(), config({ deployments: [rawDeployment('primary-oa', { api_key: OLD_KEY, region: OLD_KEY }), rawDeployment('backup')] }));
    expect(changes.changed).toEqual([{ path: 'deployments.primary-oa.region' }]);
    expect(JSON.stringify(changes)).not.toContain(OLD_KEY);
  });

  it(`lists at most ${CHANGES_SHOWN} entries and counts the rest`, () => {
    const ids = Array.from({ length: CHANGES_SHOWN + 25 }, (_, i) => `d${i}`);
    const after = config({ deployments: [...config().deployments, ...ids.map((id) => rawDeployment(id))] });
    const changes = diff(config(), after);
    expect(changes.added).toHaveLength(CHANGES_SHOWN);
    expect(changes.added[0]).toBe('deployments.d0');
    expect(changes.more).toBe(25);
    expect(changes.summary).toBe(`${CHANGES_SHOWN + 25} changes in deployments`);
  });
});
