import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../config/load.js';
import type { ConfigInput } from '../../config/schema.js';
import { budgetWarnings } from './config-warnings.js';

const PRICED = { id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1' };
const KEYS: ConfigInput['api_keys'] = [
  { id: 'ana', key: 'k-ana', team: 'api', user: 'ana@example.com', tags: { project: 'atlas' } },
  { id: 'bo', key: 'k-bo', team: 'research' },
];
const VIRTUAL = { hmac_secret: 'x'.repeat(32) };

function warnings(input: Partial<ConfigInput>): Array<[string, string]> {
  const config = resolveConfig({ deployments: [PRICED], ledger: { path: ':memory:' }, ...input });
  return budgetWarnings(config).map((w) => [w.path, w.message]);
}

const budget = (name: string, more: Record<string, unknown>) => ({ name, period: 'daily' as const, hard_usd: 1, ...more });

describe('budget warnings (check-config, serve start)', () => {
  it('names a per tag no request carries, at its path, with the known tag it is near', () => {
    const [w, ...rest] = warnings({ api_keys: KEYS, budgets: { limits: [budget('teams', { per: 'tean' })] } });
    expect(rest).toEqual([]);
    expect(w?.[0]).toBe('budgets.limits[0].per');
    expect(w?.[1]).toMatch(/^no request carries a tag "tean" \(did you mean "team"\?\): the gateway sets only key, team, user, ingress, clients cannot send tags, and no key in api_keys has a tag "tean"/);
    expect(w?.[1]).toContain('a request without it is not counted, so this budget counts nothing and never applies');
  });

  it('names a match value no key has, with the value it is near and the values keys have', () => {
    const [w, ...rest] = warnings({ api_keys: KEYS, budgets: { limits: [budget('a', { per: 'key' }), budget('b', {}), budget('api', { match: { team: 'ap' } })] } });
    expect(rest).toEqual([]);
    expect(w).toEqual(['budgets.limits[2].match.team', 'no key in api_keys has team "ap" (did you mean "api"?) and virtual keys are off, so no request matches and this budget counts nothing and never applies; use a value a key has (api, research), or give the keys it should count that value']);
  });

  it('says nothing of the tags requests carry: the key fields, the keys\' own tags and the front door', () => {
    const limits = [
      budget('k', { per: 'key', match: { key: 'bo' } }),
      budget('t', { per: 'team', match: { team: 'research' } }),
      budget('u', { per: 'user', match: { user: 'ana@example.com' } }),
      budget('p', { per: 'project', match: { project: 'atlas' } }),
      budget('d', { per: 'ingress', match: { ingress: 'anthropic-messages' } }),
    ];
    expect(warnings({ api_keys: KEYS, budgets: { limits } })).toEqual([]);
  });

  it('counts no tag of a metrics key, which calls no model', () => {
    const api_keys: ConfigInput['api_keys'] = [{ id: 'scrape', key: 'k-scrape', role: 'metrics', tags: { project: 'x' } }, { id: 'ana', key: 'k-ana' }];
    expect(warnings({ api_keys, budgets: { limits: [budget('p', { per: 'project' })] } }).map(([path]) => path)).toEqual(['budgets.limits[0].per']);
  });

  it('names a door that is none of the three', () => {
    const [w] = warnings({ api_keys: KEYS, budgets: { limits: [budget('d', { match: { ingress: 'openai-chats' } })] } });
    expect(w).toEqual(['budgets.limits[0].match.ingress', 'no request has ingress "openai-chats" (did you mean "openai-chat"?): it is the front door a request came through, one of openai-chat, openai-responses, anthropic-messages; no request matches, so this budget counts nothing and never applies']);
  });

  it('says why requests carry no key, team or user tag without keys to give them', () => {
    const found = warnings({ budgets: { limits: [budget('k', { per: 'key' }), budget('t', { match: { team: 'api' } })] } });
    expect(found.map(([path]) => path)).toEqual(['budgets.limits[0].per', 'budgets.limits[1].match.team']);
    expect(found[0]?.[1]).toContain('api_keys is empty and virtual keys are off, so requests are anonymous and carry no key tag');
    expect(found[1]?.[1]).toContain('no key in api_keys has a team (api_keys[].team) and virtual keys are off; no request matches');
  });

  it('with virtual keys on, names only a tag or value near a known one, saying virtual keys may carry it', () => {
    const limits = [
      budget('free', { per: 'cost_center' }),
      budget('vteam', { match: { team: 'growth' } }),
      budget('typo', { per: 'tean' }),
      budget('near', { match: { team: 'ap' } }),
    ];
    const found = warnings({ api_keys: [{ id: 'ana', key: 'k-ana', team: 'api' }], keys: VIRTUAL, budgets: { limits } });
    expect(found).toEqual([
      ['budgets.limits[2].per', 'no key in the config carries a tag "tean" (did you mean "team"?); virtual keys may, but a request whose key does not is not matched or counted: if none does, this budget counts nothing and never applies. Name a tag requests carry, or give the keys it should count that tag'],
      ['budgets.limits[3].match.team', 'no key in the config has team "ap" (did you mean "api"?); virtual keys may, but if none does, no request matches and this budget counts nothing and never applies'],
    ]);
  });

  it('names a soft limit not below its hard limit', () => {
    const found = warnings({ budgets: { limits: [budget('same', { soft_usd: 1 }), budget('above', { soft_usd: 2 }), budget('below', { soft_usd: 0.8 })] } });
    expect(found.map(([path]) => path)).toEqual(['budgets.limits[0].soft_usd', 'budgets.limits[1].soft_usd']);
    expect(found[1]?.[1]).toMatch(/^soft_usd \(2\) is not below hard_usd \(1\): requests are refused once the hard limit is reached/);
  });

  it('with budgets, names a deployment whose model has no price, with the priced model it is near', () => {
    const deployments = [PRICED, { ...PRICED, id: 'typo', model: 'gpt-4o-mni' }, { ...PRICED, id: 'local', model: 'llama-local' }];
    const found = warnings({ deployments, budgets: { limits: [budget('all', {})] }, pricing: { deployments: { local: { input: 0, output: 0 } } } });
    expect(found).toEqual([
      [
        'deployments[1].model',
        'no price for "gpt-4o-mni" on provider openai-compatible (did you mean "gpt-4o-mini"?): not in the price book and no pricing override, so budgets count none of its usage and its requests spend without limit. Correct the model name, or price it (pricing.deployments.typo: { input, output } in USD per million tokens, or pricing.models); a self-hosted model that costs nothing per token: price it at 0 ({ input: 0, output: 0 }) to say so',
      ],
    ]);
  });

  it('names base_model when that is what a deployment is priced as (a Bedrock ARN hiding its model)', () => {
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6';
    const bedrock = { id: 'b', provider: 'bedrock', model: arn, region: 'us-east-1', access_key_id: 'AKIDEXAMPLE', secret_access_key: 'secret' };
    const found = warnings({ deployments: [{ ...bedrock, base_model: 'anthropic.claude-opus-4-7' }, { ...bedrock, id: 'c', base_model: 'anthropic.claude-opus-4-77' }], budgets: { limits: [budget('all', {})] } });
    expect(found.map(([path]) => path)).toEqual(['deployments[1].base_model']);
    expect(found[0]?.[1]).toMatch(/^no price for "anthropic.claude-opus-4-77" on provider bedrock in us-east-1 \(did you mean "anthropic.claude-opus-4-7"\?\): /);
  });

  it('says nothing without budgets: an unpriced model then limits nothing', () => {
    expect(warnings({ deployments: [{ ...PRICED, model: 'gpt-4o-mni' }] })).toEqual([]);
  });
});
