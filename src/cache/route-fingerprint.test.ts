import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import type { ConfigInput } from '../config/schema.js';
import { createGateway } from '../gateway/gateway.js';
import type { RequestOptions } from '../gateway/api.js';
import { FakeProvider, rawDeployment } from '../routing/testing/fakes.js';
import { userRequest } from '../testing/canonical.js';
import { RouteFingerprints } from './route-fingerprint.js';
import { MemoryResponseCache, type ResponseCacheStore } from './store.js';

type Deployments = ConfigInput['deployments'];
type Groups = NonNullable<ConfigInput['groups']>;

const deployments: Deployments = [rawDeployment('a'), rawDeployment('b'), rawDeployment('c')];
const groups: Groups = [
  { name: 'chat', deployments: ['a', 'c'], cache: { enabled: true } },
  { name: 'other', deployments: ['b'], cache: { enabled: true } },
];
const config = (over: Partial<ConfigInput> = {}): ConfigInput => ({ deployments, groups, ...over });
/** `deployments` with one of them (by id) given other settings. */
const changed = (id: string, settings: Record<string, unknown>): Deployments => deployments.map((d) => (d.id === id ? rawDeployment(id, settings) : d));

/**
 * Whether a request answered and cached by the gateway one config built is a hit on the gateway a
 * reload builds from `after`: the store outlives the reload, as Redis does (so the old gateway is not
 * closed: that would close the store).
 */
async function afterReload(before: ConfigInput, after: ConfigInput, model = 'chat', opts: RequestOptions = {}): Promise<string | undefined> {
  const store: ResponseCacheStore = new MemoryResponseCache({ max_entries: 100, max_bytes: 1_000_000, max_entry_bytes: 100_000 });
  const generation = (c: ConfigInput) => createGateway(c, { createProvider: (d) => new FakeProvider(d.id), responseCache: store });
  const ask = userRequest(model, 'What changed?', { temperature: 0 });
  const old = generation(before);
  expect((await old.chat(ask, opts)).cache).toBe('miss');
  expect((await old.chat(ask, opts)).cache).toBe('hit');
  return (await generation(after).chat(ask, opts)).cache;
}

describe('cached answers across a config reload', () => {
  it("miss once a reload changes what the group's deployments are: upstream model, provider, endpoint, a provider option, a header", async () => {
    const reloads: Deployments[] = [
      changed('a', { model: 'gpt-4o' }),
      changed('a', { provider: 'anthropic', model: 'claude-sonnet-4-5', endpoint: undefined, api_key: 'sk-ant-test' }),
      changed('a', { endpoint: 'http://127.0.0.1:10/v1' }),
      changed('a', { prefill: true }),
      changed('a', { headers: { 'openai-organization': 'org-other' } }),
      // A deployment the group does not answer with first is one it may answer with.
      changed('c', { model: 'gpt-4o' }),
    ];
    for (const d of reloads) expect(await afterReload(config(), config({ deployments: d }))).toBe('miss');
  });

  it('miss once a reload changes the group: its members, their order, its strategy, system prompt or defaults', async () => {
    const withGroup = (over: Record<string, unknown>): Partial<ConfigInput> => ({ groups: [{ ...groups[0], ...over } as Groups[number], groups[1] as Groups[number]] });
    const reloads = [{ deployments: ['b'] }, { deployments: ['c', 'a'] }, { strategy: 'round-robin' }, { system_prompt: 'Answer in French.' }, { defaults: { max_tokens: 50 } }];
    for (const over of reloads) expect(await afterReload(config(), config(withGroup(over)))).toBe('miss');
  });

  it("miss once a reload changes where the group's context-window overflow goes", async () => {
    const overflowTo = (d: Deployments): ConfigInput => config({ deployments: d, groups: [{ ...groups[0], fallbacks: { context_window_exceeded: ['b'] } } as Groups[number]] });
    expect(await afterReload(overflowTo(deployments), overflowTo(changed('b', { model: 'gpt-4o-128k' })))).toBe('miss');
  });

  it('keep their hits across a reload that changes nothing answers depend on', async () => {
    const reloads: ConfigInput[] = [
      config({ logging: { level: 'debug' } }),
      config({ budgets: { limits: [{ name: 'monthly', period: 'monthly', hard_usd: 100 }] } }),
      config({ routing: { attempt_timeout_ms: 5_000, max_attempts_per_deployment: 1 } }),
      // A rotated credential, in api_key or a credential header.
      config({ deployments: changed('a', { api_key: 'sk-rotated', headers: { authorization: 'Bearer rotated' } }) }),
      config({ deployments: changed('a', { tags: ['eu'], max_connections: 16, context_window: 128_000 }) }),
      // Another group's deployment, and a group added.
      config({ deployments: changed('b', { model: 'gpt-4o' }) }),
      config({ groups: [...groups, { name: 'new', deployments: ['b'] }] }),
    ];
    for (const after of reloads) expect(await afterReload(config(), after)).toBe('hit');
    const weighted = (wa: number): ConfigInput => config({ groups: [{ name: 'chat', strategy: 'weighted', deployments: [{ id: 'a', weight: wa }, { id: 'c', weight: 1 }], cache: { enabled: true } }] });
    expect(await afterReload(weighted(1), weighted(5))).toBe('hit');
  });

  it("for a pinned deployment, follow that deployment's settings, not its group's other members", async () => {
    const pinned: RequestOptions = { override: 'a' };
    expect(await afterReload(config(), config({ deployments: changed('a', { model: 'gpt-4o' }) }), 'chat', pinned)).toBe('miss');
    expect(await afterReload(config(), config({ deployments: changed('c', { model: 'gpt-4o' }) }), 'chat', pinned)).toBe('hit');
  });

  it('for a deployment asked for directly, outside any group, follow its settings', async () => {
    const direct = (d: Deployments): ConfigInput => config({ deployments: [...d, rawDeployment('solo')], routing: { allow_direct_deployments: true } });
    const changedSolo = config({ deployments: [...deployments, rawDeployment('solo', { model: 'gpt-4o' })], routing: { allow_direct_deployments: true } });
    expect(await afterReload(direct(deployments), changedSolo, 'solo', { cache: 'on' })).toBe('miss');
    expect(await afterReload(direct(deployments), direct(changed('b', { model: 'gpt-4o' })), 'solo', { cache: 'on' })).toBe('hit');
  });

  it('for a caller bound to a residency, alike', async () => {
    const eu = (model: string): ConfigInput => config({ deployments: [rawDeployment('a', { model, tags: ['eu'] }), rawDeployment('b'), rawDeployment('c', { tags: ['eu'] })] });
    const inEu: RequestOptions = { residency: 'eu' };
    expect(await afterReload(eu('a'), eu('gpt-4o'), 'chat', inEu)).toBe('miss');
    expect(await afterReload(eu('a'), config({ ...eu('a'), logging: { level: 'warn' } }), 'chat', inEu)).toBe('hit');
  });
});

describe('route fingerprints', () => {
  const routes = (c: ConfigInput): RouteFingerprints => new RouteFingerprints(resolveConfig(c));

  it('name every route of a config: groups, pinned members, direct deployments', () => {
    const r = routes(config());
    const whole = r.of('no-such-group', undefined);
    const named: Array<[string | undefined, string | undefined]> = [['chat', undefined], ['chat', 'a'], ['chat', 'c'], ['other', undefined], ['other', 'b'], [undefined, 'a'], [undefined, 'b'], [undefined, 'c']];
    for (const [group, deployment] of named) expect(r.of(group, deployment)).not.toBe(whole);
    expect(new Set(named.slice(0, 5).map(([g, d]) => r.of(g, d))).size).toBe(5);
  });

  it('stand for every route at once where a target is not one of the config\'s, so a changed config misses there too', () => {
    expect(routes(config()).of('elsewhere', undefined)).toBe(routes(config({ logging: { level: 'debug' } })).of('elsewhere', undefined));
    expect(routes(config()).of('elsewhere', undefined)).not.toBe(routes(config({ deployments: changed('b', { model: 'gpt-4o' }) })).of('elsewhere', undefined));
  });
});
