import { describe, expect, it } from 'vitest';
import { parseConfig } from './load.js';

const deployment = (id: string) => ({ id, provider: 'openai-compatible', model: 'm', endpoint: 'http://127.0.0.1:9/v1' });

function problemsOf(raw: unknown): string[] {
  const r = parseConfig(raw, {});
  if (r.ok) throw new Error('expected the config to be invalid');
  return r.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('config ids', () => {
  it('reports a repeated api key id and a repeated key by path, never printing the key', () => {
    const problems = problemsOf({
      deployments: [deployment('a')],
      api_keys: [
        { id: 'team', key: 'sk-one' },
        { id: 'team', key: 'sk-two' },
        { id: 'other', key: 'sk-one' },
      ],
    });
    expect(problems).toEqual(['api_keys[1].id: duplicate api key id "team" (first at api_keys[0])', 'api_keys[2].key: the same key as api_keys[0]']);
  });

  it('gives api keys role user and no allow-lists unless configured', () => {
    const r = parseConfig({ deployments: [deployment('a')], api_keys: [{ id: 'k', key: 'sk' }] }, {});
    const key = r.ok ? r.config.api_keys[0] : undefined;
    expect(key?.role).toBe('user');
    expect([key?.models, key?.groups, key?.allow_direct_deployments]).toEqual([undefined, undefined, undefined]);
    expect(r.ok && r.config.routing.allow_direct_deployments).toBe(false);
  });
});
