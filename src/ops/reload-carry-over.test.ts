import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../app.js';
import { resolveConfig } from '../config/load.js';
import type { GatewayConfig } from '../config/schema.js';
import { silentLogger } from '../core/logger.js';
import { createGateway, type Gateway } from '../gateway/gateway.js';
import { FakeClock, FakeProvider, failure, rawDeployment } from '../routing/testing/fakes.js';
import { MemoryStateStore } from '../state/memory.js';
import { userRequest } from '../testing/canonical.js';
import { carryRoutingState } from './carry-over.js';
import { AppHolder } from './reload.js';

const hello = userRequest('chat', 'hi');
const REDIS_URL = process.env.REDIS_URL;

/** What `serve` holds: a priority group of a primary and a secondary; `hardUsd` is the unrelated change a reload makes. */
function configOf(dir: string, opts: { hardUsd: number; primaryEndpoint?: string; withPrimary?: boolean; redisPrefix?: string }): GatewayConfig {
  const primary = rawDeployment('primary', opts.primaryEndpoint ? { endpoint: opts.primaryEndpoint } : {});
  const ids = opts.withPrimary === false ? ['secondary'] : ['primary', 'secondary'];
  return resolveConfig({
    deployments: [...(opts.withPrimary === false ? [] : [primary]), rawDeployment('secondary')],
    groups: [{ name: 'chat', strategy: 'priority', deployments: ids }],
    routing: { max_attempts_per_deployment: 1, breaker: { consecutive_failures: 3, cool_off_ms: 600_000 } },
    ledger: { store: 'sqlite', path: join(dir, 'ledger.sqlite'), spill_path: join(dir, 'spill.jsonl'), journal_dir: join(dir, 'journal') },
    budgets: { limits: [{ name: 'all', period: 'daily', hard_usd: opts.hardUsd }] },
    ...(opts.redisPrefix === undefined ? {} : { state: { store: 'redis' as const, redis_url: REDIS_URL, key_prefix: opts.redisPrefix } }),
  });
}

const providers = new Map<string, FakeProvider>();
const holders: Array<AppHolder<App>> = [];

/** An AppHolder as `serve` builds it: each app's admin target reloads through the holder. */
async function serve(first: GatewayConfig, next: () => GatewayConfig): Promise<AppHolder<App>> {
  const provider = (id: string): FakeProvider => providers.get(id) ?? providers.set(id, new FakeProvider(id)).get(id)!;
  const build = (c: GatewayConfig): Promise<App> =>
    createApp(c, { createProvider: (d) => provider(d.id), admin: { gateway: () => holder.current.gateway, reload: () => holder.reload() } });
  const holder: AppHolder<App> = new AppHolder(await build(first), { load: next, build, logger: silentLogger, retireAfterMs: 1_000 });
  holders.push(holder);
  return holder;
}

const primaryOf = (h: AppHolder<App>) => h.current.gateway.status().deployments.find((d) => d.id === 'primary');

/** The primary is hard down: three requests fall back to the secondary and open its breaker. */
async function tripPrimary(h: AppHolder<App>): Promise<void> {
  providers.get('primary')!.script = () => failure('unavailable', { status: 503 });
  for (let i = 0; i < 3; i += 1) expect((await h.current.gateway.chat({ ...hello })).servedBy.deployment).toBe('secondary');
  expect(primaryOf(h)?.breaker).toMatchObject({ state: 'open', trips: 1 });
}

/** The primary fails `n` requests in a row, each served by the secondary. */
async function failPrimary(h: AppHolder<App>, n: number): Promise<void> {
  providers.get('primary')!.script = () => failure('unavailable', { status: 503 });
  for (let i = 0; i < n; i += 1) expect((await h.current.gateway.chat({ ...hello })).servedBy.deployment).toBe('secondary');
}

afterEach(async () => {
  await Promise.all(holders.splice(0).map((h) => h.close()));
  providers.clear();
});

describe('what a config reload carries over', () => {
  it("keeps an open breaker across a reload that changes only a budget: the next request goes to the secondary without touching the primary", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carry-'));
    let hardUsd = 100;
    const h = await serve(configOf(dir, { hardUsd }), () => configOf(dir, { hardUsd }));
    await tripPrimary(h);
    const before = primaryOf(h)?.breaker;
    hardUsd = 200;
    await h.reload();
    // GET /v1/switchyard/status right after the reload: still open, with its trip count, reason and retry time.
    expect(primaryOf(h)?.breaker).toMatchObject({ state: 'open', trips: 1, reason: before?.reason, retryAt: before?.retryAt });
    expect((await h.current.gateway.chat({ ...hello })).servedBy.deployment).toBe('secondary');
    expect(providers.get('primary')?.calls).toBe(3);
  });

  it("starts a deployment whose endpoint changed afresh: the primary is tried again", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carry-'));
    let endpoint: string | undefined = undefined;
    const h = await serve(configOf(dir, { hardUsd: 100 }), () => configOf(dir, { hardUsd: 100, primaryEndpoint: endpoint }));
    await tripPrimary(h);
    endpoint = 'http://127.0.0.1:10/v1';
    await h.reload();
    expect(primaryOf(h)?.breaker).toMatchObject({ state: 'closed', trips: 0 });
    providers.get('primary')!.script = () => 'ok';
    expect((await h.current.gateway.chat({ ...hello })).servedBy.deployment).toBe('primary');
    expect(providers.get('primary')?.calls).toBe(4);
  });

  it('starts a deployment that a reload removed and a later one brought back afresh', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carry-'));
    let withPrimary = true;
    const h = await serve(configOf(dir, { hardUsd: 100 }), () => configOf(dir, { hardUsd: 100, withPrimary }));
    await tripPrimary(h);
    withPrimary = false;
    await h.reload();
    withPrimary = true;
    await h.reload();
    expect(primaryOf(h)?.breaker).toMatchObject({ state: 'closed', trips: 0 });
  });

  it('keeps the failures counted toward opening a breaker: two of three before a budget-only reload and one after open it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carry-'));
    let hardUsd = 100;
    const h = await serve(configOf(dir, { hardUsd }), () => configOf(dir, { hardUsd }));
    await failPrimary(h, 2);
    expect(primaryOf(h)?.breaker.state).toBe('closed');
    hardUsd = 200;
    await h.reload();
    await failPrimary(h, 1);
    expect(primaryOf(h)?.breaker).toMatchObject({ state: 'open', trips: 1, reason: '3 consecutive failures (unavailable)' });
  });

  it("keeps a 429's cool-down: the primary is left alone until its retry-after ends", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carry-'));
    const h = await serve(configOf(dir, { hardUsd: 100 }), () => configOf(dir, { hardUsd: 200 }));
    providers.get('primary')!.script = () => failure('rate_limited', { status: 429, retryAfterMs: 60_000 });
    expect((await h.current.gateway.chat({ ...hello })).servedBy.deployment).toBe('secondary');
    const until = primaryOf(h)?.coolingUntil;
    expect(until).toBeGreaterThan(Date.now());
    await h.reload();
    expect(primaryOf(h)?.coolingUntil).toBe(until);
    expect((await h.current.gateway.chat({ ...hello })).servedBy.deployment).toBe('secondary');
    expect(providers.get('primary')?.calls).toBe(1);
  });

  it("keeps an operator's drain as it was set (its time and reason), even across an endpoint change", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carry-'));
    const h = await serve(configOf(dir, { hardUsd: 100 }), () => configOf(dir, { hardUsd: 200, primaryEndpoint: 'http://127.0.0.1:10/v1' }));
    const drained = h.current.gateway.drain('primary', { reason: 'runbook 12' }).drain;
    await h.reload();
    expect(primaryOf(h)?.drain).toEqual(drained);
    expect((await h.current.gateway.chat({ ...hello })).servedBy.deployment).toBe('secondary');
  });
});

describe.skipIf(!REDIS_URL)('what a config reload carries over, the routing state shared through Redis', () => {
  const prefix = () => `switchyard-carry-test:${process.pid}:${Math.random().toString(36).slice(2)}:`;

  it('keeps an open breaker across a reload that changes only a budget', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carry-'));
    const redisPrefix = prefix();
    let hardUsd = 100;
    const h = await serve(configOf(dir, { hardUsd, redisPrefix }), () => configOf(dir, { hardUsd, redisPrefix }));
    await tripPrimary(h);
    hardUsd = 200;
    await h.reload();
    expect(primaryOf(h)?.breaker).toMatchObject({ state: 'open', trips: 1 });
  });

  it('keeps the failures counted toward opening a breaker, which the store does not hold', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carry-'));
    const redisPrefix = prefix();
    let hardUsd = 100;
    const h = await serve(configOf(dir, { hardUsd, redisPrefix }), () => configOf(dir, { hardUsd, redisPrefix }));
    await failPrimary(h, 2);
    hardUsd = 200;
    await h.reload();
    await failPrimary(h, 1);
    expect(primaryOf(h)?.breaker).toMatchObject({ state: 'open', trips: 1 });
  });

  it("starts a deployment whose endpoint changed afresh: the shared store's open breaker was the old upstream's", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carry-'));
    const redisPrefix = prefix();
    let endpoint: string | undefined = undefined;
    const h = await serve(configOf(dir, { hardUsd: 100, redisPrefix }), () => configOf(dir, { hardUsd: 100, primaryEndpoint: endpoint, redisPrefix }));
    await tripPrimary(h);
    // Published behind: the store has it before the reload reads.
    await new Promise((r) => setTimeout(r, 100));
    endpoint = 'http://127.0.0.1:10/v1';
    await h.reload();
    expect(primaryOf(h)?.breaker).toMatchObject({ state: 'closed', trips: 0 });
    providers.get('primary')!.script = () => 'ok';
    expect((await h.current.gateway.chat({ ...hello })).servedBy.deployment).toBe('primary');
  });
});

describe('the failure window a reload carries (fake clock)', () => {
  const gateways: Gateway[] = [];
  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((g) => g.close()));
  });

  /** One config's gateway on `clock`, as an app builds it for `serve` (a process-local store); its primary always fails. */
  function build(clock: FakeClock, primary: Record<string, unknown>, breaker: Record<string, unknown>): { gateway: Gateway; localState: MemoryStateStore } {
    const localState = new MemoryStateStore(clock);
    const gateway = createGateway(
      {
        deployments: [rawDeployment('primary', primary), rawDeployment('secondary')],
        groups: [{ name: 'chat', strategy: 'priority', deployments: ['primary', 'secondary'] }],
        routing: { max_attempts_per_deployment: 1, breaker: { cool_off_ms: 600_000, ...breaker } },
      },
      {
        clock,
        stateStore: localState,
        createProvider: (d) => {
          const p = new FakeProvider(d.id);
          if (d.id === 'primary') p.script = () => failure('unavailable', { status: 503 });
          return p;
        },
      },
    );
    gateways.push(gateway);
    return { gateway, localState };
  }
  const state = (g: Gateway) => g.status().deployments.find((d) => d.id === 'primary')?.breaker.state;
  const fail = async (g: Gateway, n: number) => {
    for (let i = 0; i < n; i += 1) expect((await g.chat({ ...hello })).servedBy.deployment).toBe('secondary');
  };
  // Three failures in a row open it; so do 4 requests at an error rate of 75% within 10 s.
  const byCount = { consecutive_failures: 3 };
  const byRate = { consecutive_failures: 100, error_rate: 0.75, min_requests: 4, window_ms: 10_000 };

  it('one failure after a reload that kept the upstream opens a breaker two failures had brought to the brink', async () => {
    const clock = new FakeClock();
    const before = build(clock, {}, byCount);
    await fail(before.gateway, 2);
    clock.advance(5_000);
    const after = build(clock, {}, byCount);
    await carryRoutingState(before, after, clock.now());
    await fail(after.gateway, 1);
    expect(state(after.gateway)).toBe('open');
  });

  it('counts afresh after a reload that changed the upstream: its failures were the old endpoint\'s', async () => {
    const clock = new FakeClock();
    const before = build(clock, {}, byCount);
    await fail(before.gateway, 2);
    const after = build(clock, { endpoint: 'http://127.0.0.1:10/v1' }, byCount);
    await carryRoutingState(before, after, clock.now());
    await fail(after.gateway, 2);
    expect(state(after.gateway)).toBe('closed');
  });

  it('carries the error-rate window with its times: failures still in it count, those it dropped meanwhile do not', async () => {
    const clock = new FakeClock();
    const before = build(clock, {}, byRate);
    await fail(before.gateway, 3);
    clock.advance(2_000);
    const after = build(clock, {}, byRate);
    await carryRoutingState(before, after, clock.now());
    await fail(after.gateway, 1);
    expect(state(after.gateway)).toBe('open');

    const late = build(clock, {}, byRate);
    const carried = build(clock, {}, byRate);
    await fail(late.gateway, 3);
    clock.advance(11_000);
    await carryRoutingState(late, carried, clock.now());
    await fail(carried.gateway, 1);
    expect(state(carried.gateway)).toBe('closed');
  });
});
