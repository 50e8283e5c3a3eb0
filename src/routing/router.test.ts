import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import type { ConfigInput, GatewayConfig } from '../config/schema.js';
import { DeploymentState } from './deployment-state.js';
import type { ChatRequest, ImagePart } from '../core/types.js';
import { chatCapabilities, type Needs } from './filters.js';
import { Router, type Deployment, type RouteRequest } from './router.js';
import { accessFor } from './access.js';
import { FakeClock, FakeProvider, rawDeployment, seeded } from './testing/fakes.js';

function setup(raw: Partial<ConfigInput> & { deployments: ConfigInput['deployments'] }, random = seeded(1)) {
  const config: GatewayConfig = resolveConfig(raw as ConfigInput, {});
  const clock = new FakeClock();
  const deployments = new Map<string, Deployment>();
  for (const d of config.deployments) deployments.set(d.id, { id: d.id, config: d, provider: new FakeProvider(d.id), state: new DeploymentState(d, config.routing) });
  const router = new Router(config, deployments, {
    random,
    now: () => clock.now(),
    failback: config.routing.failback,
    unknownModelToDefault: config.routing.unknown_model_to_default,
    defaultGroup: config.default_group,
  });
  const ids = (req: Partial<RouteRequest> & { model: string }): string[] => router.plan({ needs: needs(), ...req }).deployments.map((d) => d.id);
  return { config, clock, deployments, router, ids, state: (id: string) => (deployments.get(id) as Deployment).state };
}

const needs = (over: Partial<Needs> = {}): Needs => ({ capabilities: [], promptTokens: 10, residency: undefined, ...over });

/** The seed's task-type example: four groups a client picks by name, alias or task. */
const taskConfig = {
  deployments: [
    rawDeployment('claude-bedrock', { tags: ['us'], capabilities: ['tools', 'json', 'streaming'], context_window: 200_000 }),
    rawDeployment('gpt4o-azure', { tags: ['eu'], capabilities: ['tools', 'vision', 'json', 'streaming'], context_window: 128_000 }),
    rawDeployment('gemini-vertex', { tags: ['eu'], capabilities: ['tools', 'vision', 'json', 'streaming'], context_window: 1_000_000 }),
    rawDeployment('llama-vllm', { tags: ['eu', 'self-hosted'], capabilities: ['streaming'], context_window: 8_000 }),
  ],
  groups: [
    { name: 'coding', aliases: ['code'], tasks: ['coding'], strategy: 'priority' as const, deployments: ['claude-bedrock', 'gpt4o-azure'] },
    { name: 'analysis', tasks: ['analysis'], strategy: 'least-latency' as const, deployments: ['gemini-vertex', 'claude-bedrock'] },
    { name: 'simple', aliases: ['gpt-4o-mini'], tasks: ['simple'], strategy: 'cost-optimized' as const, deployments: [{ id: 'llama-vllm', price: 0.1 }, { id: 'gpt4o-azure', price: 2.5 }] },
    { name: 'vision', tasks: ['vision'], strategy: 'round-robin' as const, deployments: ['gpt4o-azure', 'gemini-vertex'] },
  ],
  default_group: 'simple',
};

describe('Router selection', () => {
  it('expresses the coding / analysis / simple / vision task example', () => {
    const { ids } = setup(taskConfig);
    expect(ids({ model: 'coding' })).toEqual(['claude-bedrock', 'gpt4o-azure']);
    expect(ids({ model: 'code' })).toEqual(['claude-bedrock', 'gpt4o-azure']);
    expect(ids({ model: 'gpt-4o-mini' })).toEqual(['llama-vllm', 'gpt4o-azure']);
    expect(ids({ model: 'default', task: 'vision' })[0]).toMatch(/gpt4o-azure|gemini-vertex/);
    expect(ids({ model: 'default', task: 'analysis' }).sort()).toEqual(['claude-bedrock', 'gemini-vertex']);
  });

  it('orders each cost-optimized group by its own members\' prices, so two groups may price one deployment differently', () => {
    const { ids } = setup({
      deployments: [rawDeployment('a'), rawDeployment('b')],
      groups: [
        { name: 'batch', strategy: 'cost-optimized', deployments: [{ id: 'a', price: 1 }, { id: 'b', price: 2 }] },
        // b is cheaper here (a committed-use discount on this group's traffic, say): the last group's hint no longer wins everywhere.
        { name: 'interactive', strategy: 'cost-optimized', deployments: [{ id: 'a', price: 3 }, { id: 'b', price: 2 }] },
        // No hints: no price known, so configured order, not prices borrowed from the groups above.
        { name: 'plain', strategy: 'cost-optimized', deployments: ['a', 'b'] },
      ],
    });
    expect(ids({ model: 'batch' })).toEqual(['a', 'b']);
    expect(ids({ model: 'interactive' })).toEqual(['b', 'a']);
    expect(ids({ model: 'plain' })).toEqual(['a', 'b']);
  });

  it('`default` goes to default_group, unknown names fail unless configured otherwise', () => {
    const { ids, router } = setup(taskConfig);
    expect(ids({ model: 'default' })).toEqual(['llama-vllm', 'gpt4o-azure']);
    expect(() => router.plan({ model: 'nope', needs: needs() })).toThrow(expect.objectContaining({ kind: 'not_found', code: 'model_not_found' }));
    // A client's name is echoed cut short: a 3 MB model name must not come back as a 3 MB error.
    expect(() => router.plan({ model: 'x'.repeat(3_000_000), needs: needs() })).toThrow(expect.objectContaining({ message: `The model '${'x'.repeat(64)}…' does not exist. Ask GET /v1/models for the available names.` }));
    expect(() => router.plan({ model: 'default', task: 'poetry', needs: needs() })).toThrow(expect.objectContaining({ code: 'unknown_task' }));
    const lenient = setup({ ...taskConfig, routing: { unknown_model_to_default: true } });
    expect(lenient.ids({ model: 'nope' })).toEqual(['llama-vllm', 'gpt4o-azure']);
  });


  it('an override pins one member of the group, without fallbacks, even with its breaker open', () => {
    const { router, state, clock } = setup(taskConfig);
    state('gpt4o-azure').breaker.trip(clock.now(), 'test');
    const plan = router.plan({ model: 'coding', override: 'gpt4o-azure', needs: needs() });
    expect(plan.deployments.map((d) => d.id)).toEqual(['gpt4o-azure']);
    expect(plan.pinned).toBe(true);
    expect(() => router.plan({ model: 'coding', override: 'llama-vllm', needs: needs() })).toThrow(expect.objectContaining({ code: 'invalid_deployment_override' }));
  });

  it("names a client's unknown override in its refusal cut to 64 characters, however long the header", () => {
    const { router } = setup(taskConfig);
    const override = 'x'.repeat(8_000);
    expect(() => router.plan({ model: 'coding', override, needs: needs() })).toThrow(expect.objectContaining({ message: `Deployment '${'x'.repeat(64)}…' cannot serve the model 'coding'.` }));
  });
});

describe('Router filters', () => {
  it('keeps only deployments tagged with the residency, in fallbacks too', () => {
    const { ids } = setup(taskConfig);
    expect(ids({ model: 'coding', needs: needs({ residency: 'eu' }) })).toEqual(['gpt4o-azure']);
  });

  it('never crosses the border even when every in-region deployment is down', () => {
    const { router, state, clock } = setup(taskConfig);
    state('gpt4o-azure').breaker.trip(clock.now(), 'down');
    const err = (() => {
      try {
        router.plan({ model: 'coding', needs: needs({ residency: 'eu' }) });
      } catch (e) {
        return e;
      }
    })();
    // The only eu member is down: the us one must not be offered.
    expect(err).toMatchObject({ kind: 'no_deployment_available' });
    expect(() => router.plan({ model: 'coding', needs: needs({ residency: 'apac' }) })).toThrow(expect.objectContaining({ kind: 'residency_violation', status: 403 }));
    // An override cannot escape residency either.
    expect(() => router.plan({ model: 'coding', override: 'claude-bedrock', needs: needs({ residency: 'eu' }) })).toThrow(expect.objectContaining({ kind: 'residency_violation' }));
  });

  it('names the pinned deployment, not every deployment of the group, when it alone is refused; a residency is echoed cut to 64 characters', () => {
    const { router, state, clock } = setup(taskConfig);
    state('gpt4o-azure').setDrained(clock.now(), true, 'maintenance');
    expect(() => router.plan({ model: 'coding', override: 'gpt4o-azure', needs: needs() })).toThrow(
      expect.objectContaining({ kind: 'no_deployment_available', message: "Deployment 'gpt4o-azure' is unavailable (drained)." }),
    );
    expect(() => router.plan({ model: 'coding', override: 'claude-bedrock', needs: needs({ residency: 'eu' }) })).toThrow(
      expect.objectContaining({ kind: 'residency_violation', message: "Deployment 'claude-bedrock' may not serve requests restricted to 'eu'." }),
    );
    const residency = 'r'.repeat(3_000);
    expect(() => router.plan({ model: 'coding', needs: needs({ residency }) })).toThrow(
      expect.objectContaining({ kind: 'residency_violation', message: `No deployment of 'coding' may serve requests restricted to '${'r'.repeat(64)}…'.` }),
    );
  });

  it('residency also binds special fallbacks', () => {
    const { router } = setup({
      ...taskConfig,
      default_group: undefined,
      groups: [{ name: 'g', deployments: ['gpt4o-azure'], fallbacks: { context_window_exceeded: ['claude-bedrock', 'gemini-vertex'] } }],
    });
    const plan = router.plan({ model: 'g', needs: needs({ residency: 'eu' }) });
    expect(router.special(plan, 'context_window_exceeded', needs({ residency: 'eu' }), new Set(['gpt4o-azure'])).map((d) => d.id)).toEqual(['gemini-vertex']);
  });

  it('plans a deployment once in a special fallback or shadow list that reaches it twice (a group and one of its members)', () => {
    const { router } = setup({
      ...taskConfig,
      default_group: undefined,
      groups: [
        {
          name: 'g',
          deployments: ['llama-vllm'],
          fallbacks: { context_window_exceeded: ['big', 'gemini-vertex', 'wide'] },
          shadow: { share: 1, deployments: ['gemini-vertex', 'big'] },
        },
        { name: 'big', deployments: ['gemini-vertex', 'claude-bedrock'] },
        { name: 'wide', deployments: ['gpt4o-azure', 'claude-bedrock'] },
      ],
    });
    const plan = router.plan({ model: 'g', needs: needs() });
    // A second copy would be tried again after the first failed: the executor's `tried` is read when the list is taken.
    expect(router.special(plan, 'context_window_exceeded', needs(), new Set(['llama-vllm'])).map((d) => d.id)).toEqual(['gemini-vertex', 'claude-bedrock', 'gpt4o-azure']);
    expect(router.shadowTargets(plan, 'llama-vllm', needs()).map((d) => d.id)).toEqual(['gemini-vertex', 'claude-bedrock']);
  });

  it('filters by capabilities: vision requests skip text-only deployments', () => {
    const { ids, router } = setup(taskConfig);
    const image: ImagePart = { type: 'image', source: { type: 'base64', mediaType: 'image/png', data: 'iVBO' } };
    const req: ChatRequest = { model: 'x', messages: [{ role: 'user', content: [{ type: 'text', text: 'what is it?' }, image] }] };
    const caps = chatCapabilities(req, false);
    expect(caps).toEqual(['vision']);
    expect(ids({ model: 'simple', needs: needs({ capabilities: caps }) })).toEqual(['gpt4o-azure']);
    expect(ids({ model: 'coding', needs: needs({ capabilities: ['tools'] }) })).toEqual(['claude-bedrock', 'gpt4o-azure']);
    expect(() => router.plan({ model: 'simple', override: 'llama-vllm', needs: needs({ capabilities: ['tools'] }) })).toThrow(expect.objectContaining({ code: 'unsupported_capability' }));
  });

  it('filters by context window, using the special fallback when nothing fits', () => {
    const { ids, router } = setup({
      ...taskConfig,
      default_group: undefined,
      groups: [
        { name: 'small', deployments: ['llama-vllm', 'gpt4o-azure'], fallbacks: { context_window_exceeded: ['big'] } },
        { name: 'big', deployments: ['gemini-vertex'] },
        { name: 'tiny', deployments: ['llama-vllm'] },
      ],
    });
    expect(ids({ model: 'small', needs: needs({ promptTokens: 50_000 }) })).toEqual(['gpt4o-azure']);
    expect(ids({ model: 'small', needs: needs({ promptTokens: 500_000 }) })).toEqual(['gemini-vertex']);
    expect(() => router.plan({ model: 'tiny', needs: needs({ promptTokens: 50_000 }) })).toThrow(expect.objectContaining({ kind: 'context_window_exceeded' }));
  });

  it("refuses a completion limit above every deployment's max_output_tokens with 400 naming the parameter the client used", () => {
    const { ids, router } = setup({
      deployments: [rawDeployment('small-out', { max_output_tokens: 4_096 }), rawDeployment('big-out', { max_output_tokens: 64_000 }), rawDeployment('unstated')],
      groups: [{ name: 'g', deployments: ['small-out', 'big-out'] }, { name: 'small', deployments: ['small-out'] }],
      routing: { allow_direct_deployments: true },
    });
    expect(ids({ model: 'g', needs: needs({ maxTokens: { value: 4_096, param: 'max_tokens' } }) })).toEqual(['small-out', 'big-out']);
    expect(ids({ model: 'g', needs: needs({ maxTokens: { value: 10_000, param: 'max_tokens' } }) })).toEqual(['big-out']);
    expect(ids({ model: 'unstated', needs: needs({ maxTokens: { value: 10_000_000, param: 'max_tokens' } }) })).toEqual(['unstated']);
    expect(() => router.plan({ model: 'small', needs: needs({ maxTokens: { value: 5_000, param: 'max_completion_tokens' } }) })).toThrow(
      expect.objectContaining({ kind: 'invalid_request', status: 400, param: 'max_completion_tokens', code: 'invalid_value' }),
    );
    expect(() => router.plan({ model: 'g', override: 'small-out', needs: needs({ maxTokens: { value: 5_000, param: 'max_tokens' } }) })).toThrow(
      expect.objectContaining({ param: 'max_tokens' }),
    );
  });

  it('excludes open circuits, and reports when the first trial will be allowed', () => {
    const { ids, router, state, clock } = setup(taskConfig);
    state('claude-bedrock').breaker.trip(clock.now(), 'test');
    expect(ids({ model: 'coding' })).toEqual(['gpt4o-azure']);
    state('gpt4o-azure').breaker.trip(clock.now(), 'test');
    expect(() => router.plan({ model: 'coding', needs: needs() })).toThrow(expect.objectContaining({ kind: 'no_deployment_available', retryAfterMs: 5_000 }));
    clock.advance(5_000);
    expect(ids({ model: 'coding' })).toEqual(['claude-bedrock', 'gpt4o-azure']);
  });
});

describe('Router failback and capacity', () => {
  it('fails back gradually: the recovered primary gets a growing share over the ramp', () => {
    const { ids, state, clock } = setup({ ...taskConfig, routing: { failback: { ramp_ms: 60_000, start_share: 0.1 } } });
    const primary = state('claude-bedrock').breaker;
    primary.trip(clock.now(), 'outage');
    clock.advance(5_000);
    primary.acquire(clock.now());
    primary.onSuccess(clock.now(), true);
    const share = (): number => {
      let first = 0;
      for (let i = 0; i < 2_000; i++) if (ids({ model: 'coding' })[0] === 'claude-bedrock') first += 1;
      return first / 2_000;
    };
    const shares = [share()];
    for (let t = 0; t < 6; t++) {
      clock.advance(10_000);
      shares.push(share());
    }
    expect(shares[0]).toBeLessThan(0.15);
    expect(Math.abs((shares[3] as number) - 0.55)).toBeLessThan(0.05);
    expect(shares[6]).toBe(1);
    // Monotonic: no flapping while the primary stays healthy.
    for (let i = 1; i < shares.length; i++) expect(shares[i] as number).toBeGreaterThanOrEqual((shares[i - 1] as number) - 0.04);
  });

  it('prefers provisioned deployments up to their capacity, then spills to on-demand', () => {
    const { ids, state, clock } = setup({
      deployments: [rawDeployment('ondemand'), rawDeployment('ptu', { provisioned: { monthly_usd: 10_000, capacity_rpm: 3, max_concurrency: 2, kind: 'azure-ptu' } })],
      groups: [{ name: 'g', deployments: ['ondemand', 'ptu'] }],
    });
    expect(ids({ model: 'g' })).toEqual(['ptu', 'ondemand']);
    const ptu = state('ptu');
    ptu.begin({ startedAt: clock.now() });
    ptu.begin({ startedAt: clock.now() });
    expect(ids({ model: 'g' })).toEqual(['ondemand', 'ptu']);
    ptu.succeed(clock.now(), 10, false);
    expect(ids({ model: 'g' })).toEqual(['ptu', 'ondemand']);
    ptu.begin({ startedAt: clock.now() });
    ptu.succeed(clock.now(), 10, false);
    ptu.succeed(clock.now(), 10, false);
    // Three requests this minute: the rpm capacity is used up until the minute slides on.
    expect(ids({ model: 'g' })).toEqual(['ondemand', 'ptu']);
    clock.advance(61_000);
    expect(ids({ model: 'g' })).toEqual(['ptu', 'ondemand']);
  });

  it("skips a deployment whose quota the pod has used up though this worker's own count has not, and prefers others near it", () => {
    const { ids, state, clock } = setup({
      deployments: [rawDeployment('quota', { quota: { rpm: 4, prefer_below: 0.5 } }), rawDeployment('spare')],
      groups: [{ name: 'g', strategy: 'priority', deployments: ['quota', 'spare'] }],
    });
    state('quota').begin({ startedAt: clock.now() });
    expect(ids({ model: 'g' })).toEqual(['quota', 'spare']);
    // Another worker's request makes the pod's use 2 of 4: near the quota.
    state('quota').adoptOthers({ requests: 1, tokens: 0, provisionedRequests: 0, inFlight: 0, quotaFreesAt: clock.now() + 60_000 });
    expect(ids({ model: 'g' })).toEqual(['spare', 'quota']);
    // Four with the other workers' three: one more would pass the quota.
    state('quota').adoptOthers({ requests: 3, tokens: 0, provisionedRequests: 0, inFlight: 0, quotaFreesAt: clock.now() + 60_000 });
    expect(ids({ model: 'g' })).toEqual(['spare']);
    // They relay that their minute has slid on.
    state('quota').adoptOthers(undefined);
    expect(ids({ model: 'g' })).toEqual(['quota', 'spare']);
  });

  it("counts the other workers' in-flight and last minute against provisioned capacity", () => {
    const { ids, state, clock } = setup({
      deployments: [rawDeployment('ondemand'), rawDeployment('ptu', { provisioned: { monthly_usd: 10_000, capacity_rpm: 10, max_concurrency: 2 } })],
      groups: [{ name: 'g', deployments: ['ondemand', 'ptu'] }],
    });
    state('ptu').begin({ startedAt: clock.now() });
    expect(ids({ model: 'g' })).toEqual(['ptu', 'ondemand']);
    state('ptu').adoptOthers({ requests: 0, tokens: 0, provisionedRequests: 1, inFlight: 1, quotaFreesAt: 0 });
    expect(ids({ model: 'g' })).toEqual(['ondemand', 'ptu']);
    state('ptu').succeed(clock.now(), 10, false);
    expect(ids({ model: 'g' })).toEqual(['ptu', 'ondemand']);
    state('ptu').adoptOthers({ requests: 0, tokens: 0, provisionedRequests: 9, inFlight: 0, quotaFreesAt: 0 });
    expect(ids({ model: 'g' })).toEqual(['ondemand', 'ptu']);
    // What this worker relays of its own: the one request of its minute, none in flight now.
    expect(state('ptu').load(clock.now())).toEqual({ requests: 0, tokens: 0, provisionedRequests: 1, inFlight: 0, quotaFreesAt: 0 });
  });

  it('rejects references to unknown groups or deployments', () => {
    expect(() => setup({ ...taskConfig, default_group: undefined, groups: [{ name: 'g', deployments: ['llama-vllm'], fallbacks: { content_filtered: ['nowhere'] } }] })).toThrow(/nowhere/);
  });
});

describe('Router access', () => {
  const withKey = (key: Record<string, unknown>, routing: Record<string, unknown> = {}) => {
    const s = setup({ ...taskConfig, routing, api_keys: [{ id: 'k', key: 'sk-k', ...key }] });
    return { ...s, access: accessFor(s.config, s.config.api_keys[0]) };
  };

  it('refuses deployment ids as model names unless the config allows them', () => {
    const { router } = setup(taskConfig);
    expect(() => router.plan({ model: 'llama-vllm', needs: needs() })).toThrow(expect.objectContaining({ kind: 'forbidden', status: 403, code: 'direct_deployment_disabled' }));
    expect(() => router.plan({ model: 'simple', override: 'llama-vllm', needs: needs() })).not.toThrow();
  });

  it('serves a deployment named directly under its group, like the group with that deployment pinned', () => {
    const { router } = setup({ ...taskConfig, routing: { allow_direct_deployments: true } });
    const plan = router.plan({ model: 'llama-vllm', needs: needs() });
    expect(plan.deployments.map((d) => d.id)).toEqual(['llama-vllm']);
    expect(plan.group?.config.name).toBe('simple');
    expect(plan.pinned).toBe(true);
    expect(() => router.plan({ model: 'llama-vllm', override: 'gpt4o-azure', needs: needs() })).toThrow(expect.objectContaining({ code: 'invalid_deployment_override' }));
  });

  it('refuses a deployment of several groups as ambiguous, unless the key is limited to exactly one of them', () => {
    const open = setup({ ...taskConfig, routing: { allow_direct_deployments: true } });
    expect(() => open.router.plan({ model: 'gemini-vertex', needs: needs() })).toThrow(expect.objectContaining({ kind: 'invalid_request', code: 'ambiguous_deployment' }));
    const { router, access } = withKey({ groups: ['vision'], allow_direct_deployments: true });
    expect(router.plan({ model: 'gemini-vertex', needs: needs(), access }).group?.config.name).toBe('vision');
  });

  it('limits a key to its groups and models, by any name, task or default, and to their deployments', () => {
    const { router, access } = withKey({ groups: ['coding'], models: ['gpt-4o-mini'], allow_direct_deployments: true });
    const plan = (model: string, extra: Partial<RouteRequest> = {}) => router.plan({ model, needs: needs(), access, ...extra });
    expect(plan('code').group?.config.name).toBe('coding');
    expect(plan('simple').group?.config.name).toBe('simple');
    expect(plan('default').group?.config.name).toBe('simple');
    expect(plan('claude-bedrock').group?.config.name).toBe('coding');
    const forbidden = expect.objectContaining({ kind: 'forbidden', status: 403, code: 'model_not_allowed' });
    expect(() => plan('analysis')).toThrow(forbidden);
    expect(() => plan('default', { task: 'analysis' })).toThrow(forbidden);
    expect(() => plan('gemini-vertex')).toThrow(forbidden);
    expect(() => plan('analysis', { override: 'claude-bedrock' })).toThrow(forbidden);
  });

  it("lets a key's own switch override the config's for direct deployments", () => {
    const off = withKey({ allow_direct_deployments: false }, { allow_direct_deployments: true });
    expect(() => off.router.plan({ model: 'llama-vllm', needs: needs(), access: off.access })).toThrow(expect.objectContaining({ code: 'direct_deployment_disabled' }));
    const { router, access } = withKey({ allow_direct_deployments: true });
    expect(router.plan({ model: 'llama-vllm', needs: needs(), access }).deployments.map((d) => d.id)).toEqual(['llama-vllm']);
  });
});

describe('Router media URL filter', () => {
  const mediaConfig = {
    deployments: [rawDeployment('vllm'), rawDeployment('cloud', { media_urls: 'any' }), rawDeployment('strict', { media_urls: 'none' })],
    groups: [
      { name: 'vision', strategy: 'priority' as const, deployments: ['vllm', 'cloud', 'strict'] },
      { name: 'private', strategy: 'priority' as const, deployments: ['vllm', 'strict'] },
    ],
  };
  const withUrls = (notPublic?: string) => needs({ capabilities: ['vision'], mediaUrls: { first: 'messages[0].content[1]', notPublic } });

  it('skips deployments whose media_urls refuse a URL the request gives, and keeps the rest in order', () => {
    const { ids } = setup(mediaConfig);
    expect(ids({ model: 'vision', needs: withUrls() })).toEqual(['vllm', 'cloud']);
    expect(ids({ model: 'vision', needs: withUrls('messages[0].content[2]') })).toEqual(['cloud']);
    expect(ids({ model: 'vision', needs: needs({ capabilities: ['vision'] }) })).toEqual(['vllm', 'cloud', 'strict']);
  });

  it('refuses with 400 media_url_not_allowed naming the part when no deployment may be sent it', () => {
    const { router } = setup(mediaConfig);
    expect(() => router.plan({ model: 'private', needs: withUrls('messages[0].content[2]') })).toThrow(
      expect.objectContaining({ kind: 'invalid_request', status: 400, code: 'media_url_not_allowed', param: 'messages[0].content[2]', message: expect.stringContaining('not a public address') }),
    );
    expect(() => router.plan({ model: 'vision', override: 'strict', needs: withUrls() })).toThrow(
      expect.objectContaining({ status: 400, code: 'media_url_not_allowed', param: 'messages[0].content[1]', message: expect.stringContaining('takes media by URL') }),
    );
  });

  it('holds a pinned deployment, shadows and stream resumption to the same rule', () => {
    const { router } = setup({ ...mediaConfig, groups: [{ ...mediaConfig.groups[0]!, shadow: { share: 1 } }] });
    const private_ = withUrls('messages[0].content[2]');
    expect(() => router.plan({ model: 'vision', override: 'vllm', needs: private_ })).toThrow(expect.objectContaining({ code: 'media_url_not_allowed' }));
    const plan = router.plan({ model: 'vision', needs: withUrls() });
    expect(router.shadowTargets(plan, 'cloud', private_).map((d) => d.id)).toEqual([]);
    expect(router.resumeTargets(plan, private_, new Set(['vllm'])).map((d) => d.id)).toEqual(['cloud']);
  });
});
