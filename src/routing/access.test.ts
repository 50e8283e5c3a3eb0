import { describe, expect, it } from 'vitest';
import { parseConfig, resolveConfig } from '../config/load.js';
import type { ConfigInput } from '../config/schema.js';
import { accessFor } from './access.js';
import { rawDeployment } from './testing/fakes.js';

const base = {
  deployments: [rawDeployment('claude'), rawDeployment('gpt'), rawDeployment('llama'), rawDeployment('spare')],
  groups: [
    { name: 'coding', aliases: ['code'], deployments: ['claude', 'gpt'] },
    { name: 'simple', deployments: ['llama', 'gpt'] },
  ],
} satisfies Partial<ConfigInput>;

function keyAccess(key: Record<string, unknown>, routing: Record<string, unknown> = {}) {
  const config = resolveConfig({ ...base, routing, api_keys: [{ id: 'k', key: 'sk', ...key }] }, {});
  return accessFor(config, config.api_keys[0]);
}

describe('access', () => {
  it('lists every group by each of its names, and no deployment ids unless direct names are allowed', () => {
    expect(accessFor(resolveConfig(base, {})).models).toEqual(['coding', 'code', 'simple']);
    // gpt is in two groups: ambiguous, so not a model name; spare is in none and has no policy to apply.
    expect(accessFor(resolveConfig({ ...base, routing: { allow_direct_deployments: true } }, {})).models).toEqual(['coding', 'code', 'simple', 'claude', 'llama', 'spare']);
  });

  it("lists only what a key's allow-lists let it use", () => {
    expect(keyAccess({ groups: ['simple'] }).models).toEqual(['simple']);
    expect(keyAccess({ models: ['code'] }).models).toEqual(['coding', 'code']);
    const direct = keyAccess({ groups: ['simple'], models: ['claude'], allow_direct_deployments: true });
    expect(direct.models).toEqual(['simple', 'claude', 'gpt', 'llama']);
    // A deployment named alone still gets the policy of the group it belongs to.
    expect(direct.direct.get('claude')).toEqual({ group: 'coding', ambiguous: undefined });
    expect(direct.direct.get('gpt')).toEqual({ group: 'simple', ambiguous: undefined });
    expect(direct.direct.has('spare')).toBe(false);
  });

  it('checks allow-list names when the config is loaded, each by its path', () => {
    const r = parseConfig(
      {
        ...base,
        api_keys: [
          { id: 'a', key: 'sk-a', groups: ['coding', 'code', 'nope'], models: ['simple', 'claude', 'what'] },
          { id: 'b', key: 'sk-b', allow_direct_deployments: true, models: ['gpt'] },
        ],
      },
      {},
    );
    expect(r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'api_keys[0].groups[1]: "code" is an alias; name its group "coding"',
      'api_keys[0].groups[2]: unknown group "nope"; known groups: coding, simple',
      'api_keys[0].models[1]: "claude" is a deployment id, but direct deployment names are off for this key (allow_direct_deployments)',
      'api_keys[0].models[2]: unknown model "what": neither a group, an alias nor a deployment id',
      "api_keys[1].models[0]: deployment \"gpt\" is in several groups (coding, simple); the key's groups must name exactly one of them",
    ]);
  });

  it('refuses a key bound to a residency no deployment it may use is tagged with (every request of it would be refused)', () => {
    const deployments = [rawDeployment('claude', { tags: ['us'] }), rawDeployment('gpt', { tags: ['eu'] }), rawDeployment('llama', { tags: ['us'] })];
    const groups = [
      { name: 'coding', deployments: ['claude'] },
      { name: 'simple', deployments: ['llama'], fallbacks: { content_filtered: ['gpt'] } },
      { name: 'eu-only', deployments: ['gpt'] },
    ];
    const parsed = parseConfig(
      {
        deployments,
        groups,
        api_keys: [
          { id: 'nowhere', key: 'sk-1', residency: 'apac' },
          { id: 'wrong-groups', key: 'sk-2', residency: 'eu', groups: ['coding'] },
          { id: 'by-fallback', key: 'sk-3', residency: 'eu', groups: ['simple'] },
          { id: 'anywhere', key: 'sk-4', residency: 'eu' },
        ],
      },
      {},
    );
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems).toEqual([
      { path: 'api_keys[0].residency', message: 'no deployment this key may use is tagged "apac", so every request of it would be refused (residency_violation); tag the deployments that may serve it (tags: [apac])' },
      { path: 'api_keys[1].residency', message: 'no deployment this key may use is tagged "eu", so every request of it would be refused (residency_violation); tag the deployments that may serve it (tags: [eu])' },
    ]);
  });
});
