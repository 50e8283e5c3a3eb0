import { afterEach, describe, expect, it } from 'vitest';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';
import { prepareDrill, type DrillResult } from './run.js';
import { loadScenario } from './scenario.js';

const sims: SimServer[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

/**
 * A primary in us-east and a standby in eu-west, each its own simulator, with fast breakers whose
 * cool-off does not grow: a failed trial during the fault would otherwise double it (400, 800, 1600 ms),
 * putting the trial that fails back ~100 ms before a 4 s run ends, past it on a loaded machine.
 * `attemptTimeoutMs` only where timeouts are what detects the fault: on two busy cores the standby's
 * own answers can take over a second, which would count as client errors that prove nothing.
 */
async function twoRegions(options: { shadow?: number; attemptTimeoutMs?: number } = {}): Promise<{ config: Record<string, unknown>; primary: SimServer; standby: SimServer }> {
  const { shadow, attemptTimeoutMs } = options;
  const primary = await startOpenAISim({ name: 'primary', models: ['gpt-4o-mini'] });
  const standby = await startOpenAISim({ name: 'standby', models: ['gpt-4o-mini'] });
  sims.push(primary, standby);
  const config = {
    deployments: [
      { id: 'us-east', provider: 'openai-compatible', model: 'gpt-4o-mini', region: 'us-east', endpoint: `${primary.url}/v1` },
      { id: 'eu-west', provider: 'openai-compatible', model: 'gpt-4o-mini', region: 'eu-west', endpoint: `${standby.url}/v1` },
    ],
    groups: [{ name: 'chat', strategy: 'priority', deployments: ['us-east', 'eu-west'], ...(shadow === undefined ? {} : { shadow: { share: shadow } }) }],
    routing: {
      backoff: { base_ms: 5, cap_ms: 20 },
      breaker: { consecutive_failures: 3, cool_off_ms: 400, cool_off_multiplier: 1 },
      failback: { ramp_ms: 0 },
      ...(attemptTimeoutMs === undefined ? {} : { attempt_timeout_ms: attemptTimeoutMs }),
    },
  };
  return { config, primary, standby };
}

async function drill(config: unknown, scenario: string, shadow = true): Promise<DrillResult> {
  const prepared = await prepareDrill({ config, group: 'chat', scenario: loadScenario(scenario), ratePerS: 40, durationMs: 4_000, shadow });
  try {
    return await prepared.run();
  } finally {
    await prepared.close();
  }
}

describe('switchyard drill against the simulators', () => {
  it('region outage: detects, fails over to the other region without client errors, and fails back', async () => {
    const { config } = await twoRegions();
    const result = await drill(config, 'region-outage');
    const m = result.metrics;
    expect(result.plan.targets).toEqual([{ deployment: 'us-east', via: 'simulator' }]);
    // Never more than rate x duration; a loaded machine may let the last scheduled ones slip past the end.
    expect(m.requests).toBeLessThanOrEqual(160);
    expect(m.requests).toBeGreaterThan(140);
    expect(m.errors.total).toBe(0);
    expect(m.timeToDetectMs).toBeDefined();
    expect(m.timeToFullFailoverMs).toBeLessThan(1_000);
    expect(m.attemptsPerRequest.max).toBeGreaterThan(1);
    expect(m.failbackMs).toBeDefined();
    const during = result.timeline.slice(1, 2)[0];
    expect(during?.served['eu-west']).toBeGreaterThan(0);
    // A second ends open or half-open (a trial between two 400 ms cool-offs): either shows the trip.
    expect(result.timeline.some((b) => ['open', 'half-open'].includes(b.breakers['us-east'] ?? 'closed'))).toBe(true);
    expect(result.cost.usd).toBeGreaterThan(0);
    expect(result.plan.maxCostUsd).toBeGreaterThanOrEqual(result.cost.usd);
  });
});

describe('switchyard drill through the fault proxy', () => {
  it('a blackholed primary is detected by timeouts and its traffic moves to the standby', async () => {
    const { config } = await twoRegions({ attemptTimeoutMs: 1_000 });
    const prepared = await prepareDrill({ config, group: 'chat', scenario: loadScenario('blackhole'), ratePerS: 30, durationMs: 4_000, via: 'proxy' });
    try {
      expect(prepared.plan.targets).toEqual([{ deployment: 'us-east', via: 'proxy' }]);
      const { metrics, timeline } = await prepared.run();
      expect(metrics.errors.total).toBe(0);
      expect(metrics.latencyMs.during.p99).toBeGreaterThanOrEqual(1_000);
      expect(metrics.timeToDetectMs).toBeDefined();
      expect(timeline[2]?.served['eu-west']).toBeGreaterThan(0);
    } finally {
      await prepared.close();
    }
  });
});

describe('shadow traffic keeps a cold standby warm', () => {
  it('without shadow the failover spikes p95 on the cold standby; with the group shadow share it does not', async () => {
    const run = async (shadow: boolean): Promise<DrillResult> => {
      const { config, standby } = await twoRegions({ shadow: 1 });
      standby.faults.add({ cold_start: { idle_ms: 500, requests: 15, latency_ms: 400 } });
      return drill(config, 'region-outage', shadow);
    };
    const cold = await run(false);
    const warm = await run(true);
    const coldP95 = cold.metrics.latencyMs.during.p95 ?? 0;
    const warmP95 = warm.metrics.latencyMs.during.p95 ?? 0;
    expect(coldP95).toBeGreaterThanOrEqual(400);
    expect(warmP95).toBeLessThan(coldP95 - 250);
    expect(cold.cost.shadowUsd).toBe(0);
    expect(warm.cost.shadowUsdPerHour).toBeGreaterThan(0);
  });
});
