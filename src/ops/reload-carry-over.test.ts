import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../app.js';
import { resolveConfig } from '../config/load.js';
import type { GatewayConfig } from '../config/schema.js';
import { silentLogger } from '../core/logger.js';
import { FakeProvider, failure, rawDeployment } from '../routing/testing/fakes.js';
import { userRequest } from '../testing/canonical.js';
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
