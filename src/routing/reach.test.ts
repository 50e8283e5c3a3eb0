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

  it('quotes a secret a variable also put into a deployment id by its reference, in errors and warnings', () => {
    const env = { OPENAI_KEY: 'sk-live-1234567890' };
    const leaked = { ...deployments[0], id: '${OPENAI_KEY}', api_key: '${OPENAI_KEY}' };
    const noGroup = checkReach(resolveConfig({ deployments: [leaked] } as unknown as ConfigInput, env));
    expect(noGroup.errors[0]?.message).toContain('deployments: [${OPENAI_KEY}]');
    const unused = checkReach(resolveConfig({ deployments: [leaked, deployments[1]], groups: [{ name: 'chat', deployments: ['b'] }] } as unknown as ConfigInput, env));
    expect(unused.warnings[0]?.message).toMatch(/^"\$\{OPENAI_KEY\}" is in no group/);
    expect(JSON.stringify([noGroup, unused])).not.toContain('1234567890');
  });
});
