import { describe, expect, it } from 'vitest';
import type { GatewayStatus } from '../gateway/engine.js';
import type { DeploymentStatus } from '../routing/deployment-state.js';
import { combineStatuses } from './combine-status.js';
import { LoadRelay } from './load.js';
import { fakeDeployment } from '../routing/testing/fakes.js';
import { quotaSchema } from '../routing/quota.js';

/** One worker's view of deployment `id`: 3 requests, 2 successes, a timeout, idle and healthy unless told. */
const dep = (id: string, extra: Partial<DeploymentStatus> = {}): DeploymentStatus => ({
  id,
  provider: 'openai-compatible',
  model: 'gpt-4o-mini',
  region: 'eu',
  requests: 3,
  successes: 2,
  errors: { timeout: 1 },
  errorRate: 1 / 3,
  latencyMs: { p50: 100, p95: 200, p99: 300 },
  ttftMs: undefined,
  streamMs: undefined,
  ewmaLatencyMs: 100,
  inFlight: 0,
  retries: 0,
  fallbacksFrom: {},
  shadow: { requests: 0, errors: 0 },
  breaker: { state: 'closed', trips: 0, reason: null, retryAt: undefined, rampShare: 1, transitions: { closed: 0, open: 0, 'half-open': 0 } },
  coolingUntil: undefined,
  drain: { drained: false, at: 0, reason: null },
  health: { up: true, last: undefined, checks: { ok: 0, failed: 0 } },
  provisioned: undefined,
  quota: undefined,
  ...extra,
});

const worker = (deployments: DeploymentStatus[], extra: Partial<GatewayStatus> = {}): GatewayStatus => ({
  at: 1_000,
  deployments,
  groups: [{ name: 'chat', strategy: 'priority', deployments: deployments.map((d) => d.id) }],
  retryBudget: { requests: 3, retries: 1, denied: 0, ratio: 0.2 },
  ...extra,
});

describe('combining the statuses of serve --workers', () => {
  it("adds each worker's counters and in-flight, and computes the error rate from the sums", () => {
    const a = dep('oai', { requests: 3, successes: 3, errors: {}, inFlight: 1, retries: 1, fallbacksFrom: { timeout: 1 }, shadow: { requests: 1, errors: 0 } });
    const b = dep('oai', { requests: 5, successes: 3, errors: { timeout: 1, overloaded: 1 }, inFlight: 2, fallbacksFrom: { timeout: 2, overloaded: 1 }, shadow: { requests: 2, errors: 1 } });
    const s = combineStatuses([worker([a]), worker([b], { at: 1_500 })], 2);
    const d = s.deployments[0];
    expect(d).toMatchObject({ requests: 8, successes: 6, errors: { timeout: 1, overloaded: 1 }, errorRate: 2 / 8, inFlight: 3, retries: 1 });
    expect(d?.fallbacksFrom).toEqual({ timeout: 3, overloaded: 1 });
    expect(d?.shadow).toEqual({ requests: 3, errors: 1 });
    expect(s.retryBudget).toEqual({ requests: 6, retries: 2, denied: 0, ratio: 0.2 });
    expect(s.at).toBe(1_500);
    expect(s.workers).toEqual({ answered: 2, expected: 2 });
  });

  it('weights the median by successes and takes the highest p95 and p99, so one slow worker is not averaged away', () => {
    const fast = dep('oai', { successes: 3, latencyMs: { p50: 100, p95: 150, p99: 200 }, ewmaLatencyMs: 100, ttftMs: { p50: 10, p95: 20, p99: 30 }, streamMs: { p50: 2_000, p95: 4_000, p99: 5_000 } });
    const slow = dep('oai', { successes: 1, latencyMs: { p50: 500, p95: 900, p99: 1_000 }, ewmaLatencyMs: 500, ttftMs: undefined });
    const d = combineStatuses([worker([fast]), worker([slow])], 2).deployments[0];
    expect(d?.latencyMs).toEqual({ p50: 200, p95: 900, p99: 1_000 });
    expect(d?.ewmaLatencyMs).toBe(200);
    // A worker with no samples adds none.
    expect(d?.ttftMs).toEqual({ p50: 10, p95: 20, p99: 30 });
    expect(d?.streamMs).toEqual({ p50: 2_000, p95: 4_000, p99: 5_000 });
    const idle = dep('oai', { requests: 0, successes: 0, latencyMs: undefined, ewmaLatencyMs: undefined });
    expect(combineStatuses([worker([idle]), worker([idle])], 2).deployments[0]).toMatchObject({ latencyMs: undefined, ewmaLatencyMs: undefined, errorRate: 0 });
  });

  it('shows the most severe breaker any worker holds, the newest drain, the latest cool-down, and down if any worker sees it down', () => {
    const adopted = dep('oai', {
      breaker: { state: 'open', trips: 2, reason: 'consecutive failures', retryAt: 9_000, rampShare: 1, transitions: { closed: 0, open: 0, 'half-open': 0 } },
      drain: { drained: true, at: 50, reason: 'maint' },
      coolingUntil: 7_000,
      health: { up: false, last: { at: 900, ok: false, latencyMs: 5, error: 'unavailable' }, checks: { ok: 1, failed: 2 } },
    });
    const behind = dep('oai', {
      breaker: { state: 'closed', trips: 1, reason: null, retryAt: undefined, rampShare: 1, transitions: { closed: 1, open: 2, 'half-open': 1 } },
      drain: { drained: false, at: 10, reason: null },
      coolingUntil: 5_000,
      health: { up: true, last: { at: 800, ok: true, latencyMs: 4, error: undefined }, checks: { ok: 3, failed: 0 } },
    });
    const d = combineStatuses([worker([behind]), worker([adopted])], 2).deployments[0];
    expect(d?.breaker).toEqual({ state: 'open', trips: 2, reason: 'consecutive failures', retryAt: 9_000, rampShare: 1, transitions: { closed: 1, open: 2, 'half-open': 1 } });
    expect(d?.drain).toEqual({ drained: true, at: 50, reason: 'maint' });
    expect(d?.coolingUntil).toBe(7_000);
    expect(d?.health).toEqual({ up: false, last: { at: 900, ok: false, latencyMs: 5, error: 'unavailable' }, checks: { ok: 4, failed: 2 } });
  });

  it("adds each worker's last minute of a quota and of provisioned capacity, and takes the headroom from the sums", () => {
    const quota = (requests: number, tokens: number) => ({ rpm: 10, tpm: 1_000, lastMinuteRequests: requests, lastMinuteTokens: tokens, headroom: 1 - requests / 10 });
    const provisioned = (n: number) => ({ capacityRpm: 60, maxConcurrency: 4, lastMinuteRequests: n });
    const a = dep('oai', { quota: quota(3, 100), provisioned: provisioned(3) });
    const b = dep('oai', { quota: quota(4, 200), provisioned: provisioned(4) });
    const d = combineStatuses([worker([a]), worker([b])], 2).deployments[0];
    expect(d?.quota).toEqual({ rpm: 10, tpm: 1_000, lastMinuteRequests: 7, lastMinuteTokens: 300, headroom: expect.closeTo(0.3, 10) as number });
    expect(d?.provisioned).toEqual({ capacityRpm: 60, maxConcurrency: 4, lastMinuteRequests: 7 });
    const full = combineStatuses([worker([dep('oai', { quota: quota(8, 0) })]), worker([dep('oai', { quota: quota(8, 0) })])], 2).deployments[0];
    expect(full?.quota?.headroom).toBe(0);
  });

  it("reports the pod's totals from workers that count each other's relayed use, without counting it twice", () => {
    const now = 1_000_000_020_000;
    const extra = { quota: quotaSchema.parse({ rpm: 10 }), provisioned: { monthly_usd: 1, capacity_rpm: 60, max_concurrency: 4 } };
    const workers = [fakeDeployment('oai', extra), fakeDeployment('oai', extra)];
    for (let i = 0; i < 3; i += 1) workers[0]?.state.begin({ startedAt: now });
    for (let i = 0; i < 4; i += 1) workers[1]?.state.begin({ startedAt: now });
    const relay = new LoadRelay({ workers: () => [], push: () => undefined });
    workers.forEach((w, i) => relay.report(i, { oai: w.state.load(now) as NonNullable<ReturnType<typeof w.state.load>> }));
    workers.forEach((w, i) => w.state.adoptOthers(relay.othersOf(i).oai));
    relay.close();
    const own = workers.map((w) => w.state.status(now, 0.1));
    // Each worker's own view: its own counts, the pod's headroom.
    expect(own.map((s) => [s.quota?.lastMinuteRequests, s.quota?.headroom, s.inFlight])).toEqual([
      [3, expect.closeTo(0.3, 10), 3],
      [4, expect.closeTo(0.3, 10), 4],
    ]);
    const d = combineStatuses(own.map((s) => worker([s])), 2).deployments[0];
    expect(d?.quota).toMatchObject({ lastMinuteRequests: 7, headroom: expect.closeTo(0.3, 10) as number });
    expect(d?.provisioned?.lastMinuteRequests).toBe(7);
    expect(d?.inFlight).toBe(7);
  });

  it("keeps the answering worker's order and a deployment only another worker has (a reload in between), and says who answered", () => {
    const reloaded = worker([dep('b'), dep('a')]);
    const before = worker([dep('a'), dep('old')], { groups: [{ name: 'legacy', strategy: 'priority', deployments: ['old'] }] });
    const s = combineStatuses([reloaded, before], 3);
    expect(s.deployments.map((d) => [d.id, d.requests])).toEqual([['b', 3], ['a', 6], ['old', 3]]);
    expect(s.groups.map((g) => g.name)).toEqual(['chat', 'legacy']);
    expect(s.workers).toEqual({ answered: 2, expected: 3 });
  });

  it('gives one worker its own status back, with workers saying one answered', () => {
    const own = worker([dep('oai')]);
    const { workers, ...rest } = combineStatuses([own], 1);
    expect(rest).toEqual(own);
    expect(workers).toEqual({ answered: 1, expected: 1 });
  });
});
