import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import type { AttemptRecord } from '../core/events.js';
import type { ChatRequest } from '../core/types.js';
import { userRequest } from '../testing/canonical.js';
import { FakeClock, FakeProvider, failure, rawDeployment } from '../routing/testing/fakes.js';
import { createGateway } from './gateway.js';

const hello: ChatRequest = userRequest('chat', 'hi', { maxOutputTokens: 50 });

/** A fake upstream that enforces its own requests-per-minute quota as the cloud does: a 429 past it. */
function quotaUpstream(id: string, rpm: number, clock: FakeClock, throttled: string[]): FakeProvider {
  const p = new FakeProvider(id);
  const calls: number[] = [];
  p.script = () => {
    const now = clock.now();
    while (calls.length > 0 && (calls[0] as number) <= now - 60_000) calls.shift();
    if (calls.length >= rpm) {
      throttled.push(id);
      return failure('rate_limited', { retryAfterMs: 10_000 });
    }
    calls.push(now);
    return 'ok';
  };
  return p;
}

function build(quotas: { a: number; b: number }) {
  const clock = new FakeClock();
  const throttled: string[] = [];
  const providers = new Map<string, FakeProvider>();
  const gateway = createGateway(
    {
      deployments: [rawDeployment('a', { quota: { rpm: quotas.a } }), rawDeployment('b', { quota: { rpm: quotas.b } })],
      groups: [{ name: 'chat', strategy: 'priority', deployments: ['a', 'b'] }],
    },
    {
      clock,
      createProvider: (d) => {
        const p = quotaUpstream(d.id, d.id === 'a' ? quotas.a : quotas.b, clock, throttled);
        providers.set(d.id, p);
        return p;
      },
    },
  );
  return { gateway, clock, throttled, p: (id: string) => providers.get(id) as FakeProvider };
}

describe('quota-aware routing', () => {
  it('spreads a load above one deployment’s quota to the other before any upstream answers 429', async () => {
    const { gateway, clock, throttled, p } = build({ a: 10, b: 100 });
    const served: string[] = [];
    // 90 requests a minute, for three minutes: far above a's 10 rpm, within a + b.
    for (let i = 0; i < 270; i++) {
      served.push((await gateway.chat(hello)).servedBy.deployment);
      clock.advance(667);
    }
    expect(throttled).toEqual([]);
    expect(served.filter((d) => d === 'a').length).toBeGreaterThanOrEqual(24);
    expect(p('a').calls + p('b').calls).toBe(270);
    const a = gateway.status().deployments.find((d) => d.id === 'a');
    expect(a?.quota?.rpm).toBe(10);
    expect(a?.quota?.lastMinuteRequests).toBeLessThanOrEqual(10);
  });

  it('prefers the deployment with headroom once the first passes prefer_below of its quota', async () => {
    const { gateway } = build({ a: 10, b: 100 });
    const served: string[] = [];
    for (let i = 0; i < 10; i++) served.push((await gateway.chat(hello)).servedBy.deployment);
    // 8 of 10 (the default prefer_below 0.8) on the preferred deployment, then the one with headroom.
    expect(served).toEqual(['a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'b', 'b']);
  });

  it('answers 429 with retry-after when every deployment is at its quota, without calling an upstream', async () => {
    const { gateway, clock, throttled, p } = build({ a: 2, b: 2 });
    for (let i = 0; i < 4; i++) await gateway.chat(hello);
    clock.advance(1_000);
    const err = await gateway.chat(hello).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(GatewayError.isInstance(err) && err.kind).toBe('rate_limited');
    // The four requests were counted in the 5 s bucket starting at t0; they leave the quota's window
    // once a full minute has passed for each (65 s after the bucket began), 64 s from now.
    expect((err as GatewayError).retryAfterMs).toBe(64_000);
    expect(p('a').calls + p('b').calls).toBe(4);
    clock.advance(64_000);
    expect((await gateway.chat(hello)).servedBy.deployment).toBe('a');
    expect(throttled).toEqual([]);
  });

  it('records the deployment’s quota headroom on each attempt, and none for a deployment without a quota', async () => {
    const clock = new FakeClock();
    const records: AttemptRecord[] = [];
    const gateway = createGateway(
      {
        deployments: [rawDeployment('a', { quota: { rpm: 4, prefer_below: 1 } }), rawDeployment('free')],
        groups: [{ name: 'chat', strategy: 'priority', deployments: ['a'] }, { name: 'open', strategy: 'priority', deployments: ['free'] }],
      },
      { clock, observers: [{ onAttempt: (r) => records.push(r) }], createProvider: (d) => new FakeProvider(d.id) },
    );
    for (let i = 0; i < 3; i++) await gateway.chat(hello);
    await gateway.chat({ ...hello, model: 'open' });
    expect(records.map((r) => [r.deployment, r.quotaHeadroom])).toEqual([
      ['a', 0.75],
      ['a', 0.5],
      ['a', 0.25],
      ['free', undefined],
    ]);
  });

  it('takes back the request and tokens of an attempt whose request never left (unsent), so quota-aware routing does not count it', async () => {
    const clock = new FakeClock();
    const gateway = createGateway(
      {
        deployments: [rawDeployment('a', { quota: { rpm: 10, tpm: 100_000 } }), rawDeployment('b')],
        groups: [{ name: 'chat', strategy: 'priority', deployments: ['a', 'b'] }],
      },
      {
        clock,
        createProvider: (d) => {
          const p = new FakeProvider(d.id);
          // a's dialect cannot carry the request: refused before anything is sent, and b serves it.
          if (d.id === 'a') p.script = () => new GatewayError({ kind: 'invalid_request', message: 'cannot carry it', fallbackable: true, unsent: true });
          return p;
        },
      },
    );
    for (let i = 0; i < 3; i++) expect((await gateway.chat(hello)).servedBy.deployment).toBe('b');
    expect(gateway.status().deployments.find((d) => d.id === 'a')?.quota).toMatchObject({ lastMinuteRequests: 0, lastMinuteTokens: 0, headroom: 1 });
  });

  it('lifts the cool-down an unsent attempt started by using the quota up: its connection failed, the upstream’s quota is untouched', async () => {
    const clock = new FakeClock();
    const gateway = createGateway(
      {
        routing: { max_attempts_per_deployment: 1 },
        deployments: [rawDeployment('a', { quota: { rpm: 2, prefer_below: 1 } }), rawDeployment('b')],
        groups: [{ name: 'chat', strategy: 'priority', deployments: ['a', 'b'] }],
      },
      {
        clock,
        createProvider: (d) => {
          const p = new FakeProvider(d.id);
          // a's second call cannot connect (refused before its request is written); b serves it.
          if (d.id === 'a') p.script = (call) => (call === 2 ? new GatewayError({ kind: 'network', message: 'connection refused', unsent: true }) : 'ok');
          return p;
        },
      },
    );
    expect((await gateway.chat(hello)).servedBy.deployment).toBe('a');
    clock.advance(1_000);
    // Its begin counts a to its quota (2 of 2), which cools it; the attempt then turns out unsent.
    expect((await gateway.chat(hello)).servedBy.deployment).toBe('b');
    const a = gateway.status().deployments.find((d) => d.id === 'a');
    expect(a?.coolingUntil).toBeUndefined();
    expect(a?.quota?.lastMinuteRequests).toBe(1);
    expect((await gateway.chat(hello)).servedBy.deployment).toBe('a');
  });
});
