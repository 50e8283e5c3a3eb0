import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AttemptRole } from '../core/events.js';
import type { GatewayStatus } from '../gateway/engine.js';
import { makeUsage } from '../core/types.js';
import { toUsageEvent } from '../ledger/event.js';
import { openSqlite } from '../ledger/store/sqlite-driver.js';
import { SqlLedgerStore } from '../ledger/store/sql-store.js';
import { attempt } from '../ledger/testing/fixtures.js';
import type { DeploymentStatus } from '../routing/deployment-state.js';
import { DashboardSnapshots, dashboardEvents, ledgerSnapshot, liveSnapshot, type DashboardSource } from './feed.js';
import { dashboardPage } from './page.js';

const dep = (id: string, region: string | undefined, breaker: 'closed' | 'open', up = true, extra: Partial<DeploymentStatus> = {}): DeploymentStatus =>
  ({ drain: { drained: false, at: 0, reason: null }, id, provider: 'bedrock', model: 'm', region, requests: 4, successes: 3, errors: {}, errorRate: 0.25, latencyMs: { p50: 10, p95: 20, p99: 30 }, ttftMs: undefined, ewmaLatencyMs: 10, inFlight: 1, retries: 0, fallbacksFrom: {}, shadow: { requests: 0, errors: 0 }, breaker: { state: breaker, trips: 0, reason: null, retryAt: undefined, rampShare: 1 }, coolingUntil: undefined, health: { up, last: undefined }, provisioned: undefined, ...extra }) as DeploymentStatus;
/** The events route's answer for one open page of an app whose snapshots come from `source`. */
const eventsOf = (source: DashboardSource, signal: AbortSignal, options = {}) => dashboardEvents(new DashboardSnapshots(source), signal, options);
const status = (deployments: DeploymentStatus[]): GatewayStatus => ({ at: 1, deployments, groups: [], retryBudget: { requests: 0, retries: 0, denied: 0, ratio: 0 } });

afterEach(() => vi.useRealTimers());

describe('dashboard feed', () => {
  it('counts a deployment with an open breaker or a failed health check as down, per region', () => {
    const s = liveSnapshot(status([dep('a', 'eu-west-1', 'open'), dep('b', 'eu-west-1', 'closed'), dep('c', undefined, 'closed', false)]));
    expect(s.deployments.map((d) => [d.id, d.up, d.breaker])).toEqual([['a', false, 'open'], ['b', true, 'closed'], ['c', false, 'closed']]);
    expect(s.regions).toEqual([{ region: 'eu-west-1', up: 1, total: 2 }, { region: 'unspecified', up: 0, total: 1 }]);
  });

  it('shows a drained deployment as drained and down, with its reason, and a 429 cool-down with its end', () => {
    const s = liveSnapshot(
      status([
        dep('a', 'eu-west-1', 'closed', true, { drain: { drained: true, at: 5, reason: 'maint' } }),
        dep('b', 'us-east-1', 'closed', true, { coolingUntil: 61_000 }),
      ]),
    );
    expect(s.deployments.map((d) => [d.id, d.up, d.drained, d.drainReason, d.coolingUntil])).toEqual([
      ['a', false, true, 'maint', null],
      // A cool-down is the upstream asking for less, not an outage: still up.
      ['b', true, false, null, 61_000],
    ]);
    expect(s.regions).toEqual([{ region: 'eu-west-1', up: 0, total: 1 }, { region: 'us-east-1', up: 1, total: 1 }]);
  });

  it("sums today's cost per provider and the last hour's retries and fallbacks from the ledger, shadow copies apart", async () => {
    const now = Date.parse('2025-06-03T12:00:00Z');
    const store = await SqlLedgerStore.open(openSqlite(':memory:'));
    const e = (id: string, requestId: string, at: number, provider: string, usd: number | undefined, role: AttemptRole = 'primary') =>
      toUsageEvent(attempt({ requestId, attempt: Number(id), role, startedAt: at, provider, usage: makeUsage({ prompt: 10 }) }), { usd, priced: usd !== undefined });
    await store.insert([
      e('1', 'r1', now - 60_000, 'bedrock', 0.5),
      e('2', 'r1', now - 59_000, 'vertex', 0.25, 'fallback'),
      e('1', 'r2', now - 2 * 3_600_000, 'bedrock', 1),
      e('1', 'r3', now - 1_000, 'self', undefined),
      e('1', 'r4', now - 86_400_000, 'bedrock', 7),
      // A request copied to a shadow deployment: an extra attempt, but no failover.
      e('1', 'r5', now - 30_000, 'self', undefined),
      e('1', 'r5', now - 30_000, 'self', undefined, 'shadow'),
    ]);
    const l = await ledgerSnapshot(store, now);
    await store.close();
    expect(l.failoversLastHour).toBe(1);
    expect(l.costToday).toEqual([{ provider: 'bedrock', usd: 1.5, unpricedAttempts: 0 }, { provider: 'vertex', usd: 0.25, unpricedAttempts: 0 }, { provider: 'self', usd: 0, unpricedAttempts: 3 }]);
    expect(l.dailyChartSvg).toContain('data-day="2025-06-02" data-provider="bedrock"');
  });

  it('sends a frame at once, then one per interval, and stops its timer on return()', async () => {
    vi.useFakeTimers();
    const gateway = { status: vi.fn(() => status([dep('a', 'eu', 'closed')])) };
    const res = eventsOf({ gateway, ledger: { store: undefined } }, new AbortController().signal, { intervalMs: 1_000 });
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const feed = res.body as AsyncIterableIterator<string>;
    expect((await feed.next()).value).toMatch(/^retry: 2000\ndata: \{"at":1,"deployments":\[\{"id":"a"[^\n]*\}\n\n$/);
    const second = feed.next();
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await second).value).toMatch(/^data: /);
    const third = feed.next();
    await feed.return?.();
    expect(await third).toEqual({ done: true, value: undefined });
    expect(vi.getTimerCount()).toBe(0);
    expect(gateway.status).toHaveBeenCalledTimes(2);
  });

  it("shows the combined status of serve --workers with how many workers answered, and repeats the last figures when the primary does not answer", async () => {
    vi.useFakeTimers();
    const combined = { ...status([dep('a', 'eu', 'closed')]), workers: { answered: 1, expected: 2 } };
    const gateway = { status: vi.fn<() => Promise<GatewayStatus>>().mockResolvedValueOnce(combined).mockRejectedValueOnce(new Error('shared state unavailable')) };
    const feed = eventsOf({ gateway, ledger: { store: undefined } }, new AbortController().signal, { intervalMs: 1_000 }).body as AsyncIterableIterator<string>;
    const frame = async (): Promise<unknown> => JSON.parse(String((await feed.next()).value).split('data: ')[1] as string);
    const first = await frame();
    expect(first).toMatchObject({ deployments: [{ id: 'a', requests: 4 }], workers: { answered: 1, expected: 2 } });
    const second = frame();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await second).toEqual(first);
    await feed.return?.();
  });

  it('ends when the client goes away (the signal aborts), telling its listener once', async () => {
    vi.useFakeTimers();
    const abort = new AbortController();
    const listener = { streamEnded: vi.fn() };
    const feed = eventsOf({ gateway: { status: () => status([]) }, ledger: { store: undefined } }, abort.signal, { listener }).body as AsyncIterableIterator<string>;
    await feed.next();
    const next = feed.next();
    abort.abort();
    expect(await next).toEqual({ done: true, value: undefined });
    expect(vi.getTimerCount()).toBe(0);
    await feed.return?.();
    expect(listener.streamEnded).toHaveBeenCalledTimes(1);
  });
});

describe('dashboard feeds of one app', () => {
  it('share its snapshots: more open pages ask for the status no more often, and query the ledger no more often', async () => {
    vi.useFakeTimers();
    const store = await SqlLedgerStore.open(openSqlite(':memory:'));
    const summarize = vi.spyOn(store, 'summarize');
    const gateway = { status: vi.fn(async () => status([dep('a', 'eu', 'closed')])) };
    const snapshots = new DashboardSnapshots({ gateway, ledger: { store } }, { freshMs: 500, ledgerEveryMs: 5_000 });
    const pages = Array.from({ length: 5 }, () => dashboardEvents(snapshots, new AbortController().signal, { intervalMs: 1_000 }).body as AsyncIterableIterator<string>);
    // Five pages opening at once: one status ask, one round of the ledger's three queries.
    const firsts = await Promise.all(pages.map((p) => p.next()));
    expect(firsts.every((f) => String(f.value).includes('"costToday":[]'))).toBe(true);
    expect(gateway.status).toHaveBeenCalledTimes(1);
    expect(summarize).toHaveBeenCalledTimes(3);
    // A second later every page's next frame: the status asked once more, the ledger's figures repeated.
    const seconds = pages.map((p) => p.next());
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all(seconds);
    expect(gateway.status).toHaveBeenCalledTimes(2);
    expect(summarize).toHaveBeenCalledTimes(3);
    for (const p of pages) await p.return?.();
    await store.close();
  });
});

describe('dashboard page', () => {
  it('is self-contained, accessible markup, with a CSP that allows exactly its own script', () => {
    const page = dashboardPage();
    const html = String(page.body);
    expect(html).not.toMatch(/https?:\/\/|<link|src=/);
    expect(html).toContain('aria-live="polite"');
    expect(html).toMatch(/<table id="deployments"><caption>[^<]+<\/caption><thead><tr><th scope="col" class="text">Deployment<\/th>/);
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const hash = createHash('sha256').update(script).digest('base64');
    expect(page.headers['content-security-policy']).toContain(`script-src 'sha256-${hash}'`);
    expect(page.headers['content-security-policy']).toContain("connect-src 'self'");
  });
});
