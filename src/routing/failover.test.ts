import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import type { ConfigInput } from '../config/schema.js';
import type { CancelSignal } from '../core/cancel.js';
import { silentLogger } from '../core/logger.js';
import type { AttemptRecord } from '../core/events.js';
import { createGateway } from '../gateway/gateway.js';
import { GatewayMetrics } from '../observability/metrics.js';
import { userRequest } from '../testing/canonical.js';
import { DeploymentState } from './deployment-state.js';
import { executeWithFallback, type Attempt, type ExecutePolicy } from './executor.js';
import { RetryBudget } from './retry-budget.js';
import { Router, type Deployment } from './router.js';
import { FakeClock, FakeProvider, failure, rawDeployment, seeded } from './testing/fakes.js';

type Strategy = 'priority' | 'weighted' | 'round-robin' | 'cost-optimized';

function setup(strategy: Strategy = 'priority') {
  const raw: ConfigInput = {
    deployments: ['a', 'b', 'c'].map((id) => rawDeployment(id)),
    groups: [{ name: 'chat', strategy, deployments: strategy === 'cost-optimized' ? ['a', 'b', 'c'].map((id, i) => ({ id, price: i + 1 })) : ['a', 'b', 'c'] }],
  };
  const config = resolveConfig(raw, {});
  const clock = new FakeClock();
  const deployments = new Map<string, Deployment>();
  for (const d of config.deployments) deployments.set(d.id, { id: d.id, config: d, provider: new FakeProvider(d.id), state: new DeploymentState(d, config.routing) });
  const router = new Router(config, deployments, { random: seeded(3), now: () => clock.now(), failback: config.routing.failback, unknownModelToDefault: false, defaultGroup: undefined });
  const plan = () => router.plan({ model: 'chat', needs: { capabilities: [], promptTokens: 10, residency: undefined } });
  const d = (id: string): Deployment => deployments.get(id) as Deployment;
  return { clock, plan, d };
}

const standIn = (p: { deployments: { standIn?: { from: Deployment; cause: string } } }) => p.deployments.standIn && { from: p.deployments.standIn.from.id, cause: p.deployments.standIn.cause };

function policy(clock: FakeClock): ExecutePolicy {
  return { clock, random: () => 0.5, maxAttemptsPerDeployment: 2, deadlineMs: 60_000, backoff: { baseMs: 1, capMs: 2, maxRetryAfterMs: 5_000 }, budget: new RetryBudget({ ratio: 1, window_ms: 10_000, min_retries: 100 }), logger: silentLogger };
}

const chat = (a: Attempt, s: CancelSignal) => a.deployment.provider.chat({ model: 'm', messages: [] }, { signal: s, requestId: 'r1' });

describe('a failover the plan makes (a higher-ranked member dropped before any attempt)', () => {
  it('names the dropped primary and why: breaker open, drained, cooling down after a 429', () => {
    const { clock, plan, d } = setup();
    expect(standIn(plan())).toBeUndefined();
    d('a').state.breaker.trip(clock.now(), 'test');
    expect(plan().deployments.map((x) => x.id)).toEqual(['b', 'c']);
    expect(standIn(plan())).toEqual({ from: 'a', cause: 'circuit_open' });
    // With the first two out, the third stands in for the primary, the one meant to serve.
    d('b').state.setDrained(clock.now(), true, 'maintenance');
    expect(standIn(plan())).toEqual({ from: 'a', cause: 'circuit_open' });
    d('a').state.breaker.reset(clock.now());
    expect(standIn(plan())).toEqual(undefined);
    d('a').state.setDrained(clock.now(), true, 'maintenance');
    expect(standIn(plan())).toEqual({ from: 'a', cause: 'drained' });
    d('a').state.setDrained(clock.now(), false, null);
    d('b').state.setDrained(clock.now(), false, null);
    d('a').state.throttle(clock.now(), 30_000);
    expect(standIn(plan())).toEqual({ from: 'a', cause: 'rate_limited' });
  });

  it('is no failover when only a lower-ranked member is out', () => {
    const { clock, plan, d } = setup();
    d('b').state.breaker.trip(clock.now(), 'test');
    expect(standIn(plan())).toBeUndefined();
  });

  it('ranks by price in a cost-optimized group, and sees none in load-balancing groups, whose pick is no preference', () => {
    const cost = setup('cost-optimized');
    cost.d('a').state.breaker.trip(cost.clock.now(), 'test');
    expect(standIn(cost.plan())).toEqual({ from: 'a', cause: 'circuit_open' });
    for (const strategy of ['weighted', 'round-robin'] as const) {
      const { clock, plan, d } = setup(strategy);
      d('a').state.breaker.trip(clock.now(), 'test');
      for (let i = 0; i < 5; i++) expect(standIn(plan())).toBeUndefined();
    }
  });

  it('records the served attempt as a fallback from the dropped member, counted on it; its retry is a retry and its own failure falls back from it', async () => {
    const { clock, plan, d } = setup();
    d('a').state.breaker.trip(clock.now(), 'test');
    const served = await executeWithFallback(plan().deployments, chat, policy(clock), { signal: new AbortController().signal, requestId: 'r1', attemptTimeoutMs: 1_000 });
    expect(served.attempt).toMatchObject({ number: 1, role: 'fallback', cause: 'circuit_open', from: 'a' });
    expect(d('a').state.status(clock.now(), 0.1).fallbacksFrom).toEqual({ circuit_open: 1 });

    (d('b').provider as FakeProvider).script = () => failure('unavailable');
    const failed: string[] = [];
    const next = await executeWithFallback(plan().deployments, chat, policy(clock), {
      signal: new AbortController().signal,
      requestId: 'r2',
      attemptTimeoutMs: 1_000,
      onAttemptError: (a) => failed.push(`${a.deployment.id} ${a.role} ${a.cause ?? ''} ${a.from ?? ''}`),
    });
    expect(failed).toEqual(['b fallback circuit_open a', 'b retry unavailable ']);
    expect(next.attempt).toMatchObject({ role: 'fallback', cause: 'unavailable', from: 'b' });
  });

  it('leaves a pinned plan its primary: an explicit choice falls back from nothing', async () => {
    const { clock, plan, d } = setup();
    d('a').state.breaker.trip(clock.now(), 'test');
    const served = await executeWithFallback(plan().deployments, chat, policy(clock), { signal: new AbortController().signal, requestId: 'r1', attemptTimeoutMs: 1_000, pinned: true });
    expect(served.attempt).toMatchObject({ role: 'primary', cause: undefined, from: undefined });
  });

  it('counts in switchyard_fallbacks_total and as a fallback attempt, request after request while the breaker stays open', async () => {
    const config = resolveConfig(
      {
        routing: { breaker: { consecutive_failures: 1, cool_off_ms: 600_000 }, max_attempts_per_deployment: 1 },
        deployments: [rawDeployment('primary'), rawDeployment('secondary')],
        groups: [{ name: 'chat', strategy: 'priority', deployments: ['primary', 'secondary'] }],
      },
      {},
    );
    const records: AttemptRecord[] = [];
    const metrics = new GatewayMetrics(config.deployments, {});
    const providers = new Map<string, FakeProvider>();
    const gateway = createGateway(config, {
      random: seeded(1),
      observers: [metrics, { onAttempt: (r) => records.push(r) }],
      createProvider: (dc) => {
        const p = new FakeProvider(dc.id);
        providers.set(dc.id, p);
        return p;
      },
    });
    try {
      (providers.get('primary') as FakeProvider).script = () => failure('unavailable');
      // The first request opens the primary's breaker and falls back; the next three never try it.
      for (let i = 0; i < 4; i++) await gateway.chat(userRequest('chat', 'hi'));
      expect(records.filter((r) => r.deployment === 'secondary').map((r) => `${r.role} ${r.cause} ${r.fallbackFrom}`)).toEqual(Array(4).fill('fallback unavailable primary').fill('fallback circuit_open primary', 1));
      const text = await metrics.render();
      expect(text).toMatch(/switchyard_fallbacks_total\{[^}]*from="primary",to="secondary",cause="circuit_open"\} 3\n/);
      expect(text).toMatch(/switchyard_attempts_total\{[^}]*deployment="secondary"[^}]*role="fallback",outcome="ok"[^}]*\} 4\n/);
      expect(text).not.toMatch(/switchyard_attempts_total\{[^}]*deployment="secondary"[^}]*role="primary"/);
    } finally {
      await gateway.close();
    }
  });
});
