import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConfigInput } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { ChatRequest } from '../core/types.js';
import { userRequest } from '../testing/canonical.js';
import { GatewayError } from '../core/errors.js';
import { FakeClock, FakeProvider, failure, rawDeployment, seeded } from '../routing/testing/fakes.js';
import { MemoryStateStore } from '../state/memory.js';
import type { StateStore } from '../state/store.js';
import { createGateway, type Gateway } from './gateway.js';

const opened: Gateway[] = [];
const hello: ChatRequest = userRequest('chat', 'hi');
const config: ConfigInput = {
  deployments: [rawDeployment('primary'), rawDeployment('secondary')],
  groups: [{ name: 'chat', deployments: ['primary', 'secondary'] }],
  routing: { max_attempts_per_deployment: 1, state_sync_ms: 1_000, breaker: { consecutive_failures: 2, cool_off_ms: 30_000 }, failback: { ramp_ms: 60_000, start_share: 0.1 } },
};

function replica(clock: FakeClock, stateStore?: StateStore, logger?: Logger) {
  const providers = new Map<string, FakeProvider>();
  const gateway = createGateway(config, {
    clock,
    random: seeded(7),
    stateStore,
    logger,
    createProvider: (d) => {
      const p = new FakeProvider(d.id);
      providers.set(d.id, p);
      return p;
    },
  });
  opened.push(gateway);
  return { gateway, p: (id: string) => providers.get(id) as FakeProvider };
}

const servedBy = async (g: Gateway, opts = {}): Promise<string> => (await g.chat({ ...hello }, opts)).servedBy.deployment;
const primary = (g: Gateway) => g.status().deployments.find((d) => d.id === 'primary');

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(opened.splice(0).map((g) => g.close()));
});

describe('draining a deployment', () => {
  it('sends no request to a drained deployment and takes it back after an undrain', async () => {
    const a = replica(new FakeClock());
    expect(await servedBy(a.gateway)).toBe('primary');
    const status = a.gateway.drain('primary', { actor: 'ops-key', reason: 'runbook 12' });
    expect(status.drain).toMatchObject({ drained: true, reason: 'runbook 12' });
    for (let i = 0; i < 4; i++) expect(await servedBy(a.gateway)).toBe('secondary');
    expect(a.p('primary').calls).toBe(1);
    a.gateway.undrain('primary');
    expect(await servedBy(a.gateway)).toBe('primary');
  });

  it('refuses a request pinned to a drained deployment, and answers 503 when the whole group is drained', async () => {
    const a = replica(new FakeClock());
    a.gateway.drain('primary');
    const pinned = await a.gateway.chat({ ...hello }, { override: 'primary' }).catch((e: unknown) => e);
    expect(pinned).toMatchObject({ kind: 'no_deployment_available', status: 503 });
    a.gateway.drain('secondary');
    const all = await a.gateway.chat({ ...hello }).catch((e: unknown) => e);
    expect(GatewayError.isInstance(all) && all.message).toContain('drained');
    expect(a.p('primary').calls + a.p('secondary').calls).toBe(0);
  });

  it('names an unknown deployment as not found', () => {
    const a = replica(new FakeClock());
    expect(() => a.gateway.drain('nope')).toThrow(expect.objectContaining({ kind: 'not_found', status: 404 }));
  });

  it('writes an audit line naming the deployment, who drained it and why', () => {
    const lines: Array<{ obj: object; msg: string | undefined }> = [];
    const logger: Logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (obj, msg) => lines.push({ obj, msg }), child: () => logger };
    const a = replica(new FakeClock(), undefined, logger);
    a.gateway.drain('primary', { actor: 'ops-key', reason: 'node upgrade' });
    expect(lines).toContainEqual({ obj: { deployment: 'primary', actor: 'ops-key', reason: 'node upgrade', audit: true }, msg: 'operator: drain' });
  });

  it('a drain on replica A applies on replica B within one state sync, and so does the undrain', async () => {
    vi.useFakeTimers();
    const clock = new FakeClock();
    const store = new MemoryStateStore(clock);
    const a = replica(clock, store);
    const b = replica(clock, store);
    clock.advance(10);
    a.gateway.drain('primary', { reason: 'spot interruption' });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(primary(b.gateway)?.drain).toMatchObject({ drained: true, reason: 'spot interruption' });
    expect(await servedBy(b.gateway)).toBe('secondary');
    clock.advance(10);
    a.gateway.undrain('primary');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(primary(b.gateway)?.drain.drained).toBe(false);
    expect(await servedBy(b.gateway)).toBe('primary');
  });
});

describe('resetting a breaker', () => {
  it('closes an open breaker at once, without a failback ramp, on this replica and the others', async () => {
    vi.useFakeTimers();
    const clock = new FakeClock();
    const store = new MemoryStateStore(clock);
    const a = replica(clock, store);
    const b = replica(clock, store);
    a.p('primary').script = () => failure('unavailable');
    for (let i = 0; i < 2; i++) await servedBy(a.gateway);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(primary(b.gateway)?.breaker.state).toBe('open');
    a.p('primary').script = () => 'ok';
    const status = a.gateway.resetBreaker('primary', { actor: 'ops-key' });
    expect(status.breaker).toMatchObject({ state: 'closed', trips: 0, rampShare: 1 });
    expect(await servedBy(a.gateway)).toBe('primary');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(primary(b.gateway)?.breaker).toMatchObject({ state: 'closed', trips: 0, rampShare: 1 });
    expect(await servedBy(b.gateway)).toBe('primary');
  });

  it('leaves a breaker that health checks held open to them: the next failed check trips it again', async () => {
    vi.useFakeTimers();
    const clock = new FakeClock();
    const providers = new Map<string, FakeProvider>();
    const gateway = createGateway(
      { ...config, routing: { ...config.routing, health: { enabled: true, interval_ms: 500, failures_to_down: 2 } } },
      { clock, random: seeded(7), createProvider: (d) => (providers.set(d.id, new FakeProvider(d.id)), providers.get(d.id) as FakeProvider) },
    );
    opened.push(gateway);
    const down = providers.get('primary') as FakeProvider;
    down.probeScript = () => failure('unavailable');
    down.script = () => failure('unavailable');
    const round = async () => (clock.advance(500), await vi.advanceTimersByTimeAsync(500));
    await round();
    await round();
    expect(primary(gateway)?.health.up).toBe(false);
    expect(primary(gateway)?.breaker.state).toBe('open');

    expect(gateway.resetBreaker('primary', { actor: 'ops-key' }).breaker.state).toBe('closed');
    await round();
    expect(primary(gateway)?.breaker).toMatchObject({ state: 'open', reason: expect.stringContaining('health check failed') as unknown });
    expect(primary(gateway)?.health.up).toBe(false);
    // Held open again: the cool-off passing lets no trial through while the checks fail.
    for (let i = 0; i < 80; i++) await round();
    expect(primary(gateway)?.breaker.state).toBe('open');
    expect(await servedBy(gateway)).toBe('secondary');
  });
});
