import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import type { ConfigInput } from '../config/schema.js';
import { checkReach } from './reach.js';

const deployments = [
  { id: 'a', provider: 'openai-compatible', model: 'm', endpoint: 'http://127.0.0.1:1/v1' },
  { id: 'b', provider: 'openai-compatible', model: 'm', endpoint: 'http://127.0.0.1:1/v1' },
];
const reach = (extra: Record<string, unknown>) => checkReach(resolveConfig({ deployments, ...extra } as unknown as ConfigInput, {}));

describe('checkReach', () => {
  it('refuses deployments with no group and direct names off, naming both fixes', () => {
    const { errors, warnings } = reach({});
    expect(warnings).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe('groups');
    expect(errors[0]?.message).toMatch(/^no model name reaches any deployment/);
    expect(errors[0]?.message).toContain('groups: [{ name: chat, deployments: [a, b] }]');
    expect(errors[0]?.message).toContain('routing.allow_direct_deployments: true');
  });

  it('accepts no group when deployments may be named directly', () => {
    expect(reach({ routing: { allow_direct_deployments: true } })).toEqual({ errors: [], warnings: [] });
  });

  it('only warns when some keys may name deployments directly', () => {
    const { errors, warnings } = reach({ api_keys: [{ id: 'k', key: 'sk-0123456789abcdef', allow_direct_deployments: true }] });
    expect(errors).toEqual([]);
    expect(warnings[0]?.message).toMatch(/^only keys with allow_direct_deployments reach a deployment/);
  });

  it('warns about a deployment no group, fallback or shadow uses', () => {
    const { errors, warnings } = reach({ groups: [{ name: 'chat', deployments: ['a'] }] });
    expect(errors).toEqual([]);
    expect(warnings).toEqual([{ path: 'deployments[1]', message: expect.stringMatching(/^"b" is in no group and direct deployment names are off: no request reaches it/) as unknown }]);
    expect(reach({ groups: [{ name: 'chat', deployments: ['a'], shadow: { share: 0.1, deployments: ['b'] } }] }).warnings).toEqual([]);
    expect(reach({ groups: [{ name: 'chat', deployments: ['a'], fallbacks: { content_filtered: ['b'] } }] }).warnings).toEqual([]);
  });
});
