import { afterEach, describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../core/events.js';
import type { ConfigInput } from '../config/schema.js';
import { userRequest } from '../testing/canonical.js';
import { FakeClock, FakeProvider, failure, rawDeployment } from '../routing/testing/fakes.js';
import type { Gateway } from './gateway.js';
import { fakeGateway } from './testing/fake-gateway.js';

const open: Gateway[] = [];
afterEach(async () => {
  // Aborts the copies a test left hanging.
  await Promise.all(open.splice(0).map((g) => g.close()));
});

/** A group `chat` of primary and secondary, copying every request; `secondary` takes `options` (its pool). */
function build(secondary: Record<string, unknown> = {}, routing: ConfigInput['routing'] = {}) {
  const built = fakeGateway({
    routing: { max_attempts_per_deployment: 1, breaker: { consecutive_failures: 2, cool_off_ms: 1_000 }, failback: { ramp_ms: 0 }, ...routing },
    deployments: [rawDeployment('primary'), rawDeployment('secondary', secondary)],
    groups: [{ name: 'chat', strategy: 'priority', deployments: ['primary', 'secondary'], shadow: { share: 1 } }],
  });
  open.push(built.gateway);
  return built;
}

const hello = () => userRequest('chat', 'hi');
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
const shadows = (records: AttemptRecord[]) => records.filter((r) => r.role === 'shadow');

/** Opens secondary's breaker with two failed pinned requests and lets its cool-off pass: half-open. */
async function halfOpenSecondary(gateway: Gateway, clock: FakeClock, secondary: FakeProvider): Promise<void> {
  secondary.script = () => failure('unavailable');
  for (let i = 0; i < 2; i++) await gateway.chat(hello(), { override: 'secondary' }).catch(() => undefined);
  clock.advance(1_000);
  expect(gateway.status().deployments[1]?.breaker.state).toBe('half-open');
}

describe('shadow copies', () => {
  it('copies a request to the standby once the live answer is in, never before', async () => {
    const { gateway, records, p } = build();
    const primaryCallsSeen: number[] = [];
    p('secondary').script = () => (primaryCallsSeen.push(p('primary').calls), 'ok');
    const { servedBy } = await gateway.chat(hello());
    const { servedBy: streamed, parts } = await gateway.stream(hello());
    for await (const _ of parts);
    await settle();
    expect([servedBy.deployment, streamed.deployment]).toEqual(['primary', 'primary']);
    expect(primaryCallsSeen).toEqual([1, 2]);
    expect(shadows(records).map((r) => [r.deployment, r.outcome])).toEqual([
      ['secondary', 'ok'],
      ['secondary', 'ok'],
    ]);
  });

  it('sends no copy of a request that failed over: the standby serving it gets it once, and is billed once', async () => {
    const { gateway, records, p } = build();
    p('primary').script = () => failure('unavailable');
    const { servedBy } = await gateway.chat(hello());
    await settle();
    expect(servedBy.deployment).toBe('secondary');
    expect(p('secondary').calls).toBe(1);
    expect(shadows(records)).toEqual([]);
  });

  it('sends no copy to a half-open standby: its one trial is for live traffic', async () => {
    const { gateway, clock, p } = build();
    const secondary = p('secondary');
    await halfOpenSecondary(gateway, clock, secondary);
    secondary.script = () => 'ok';
    await gateway.chat(hello());
    await settle();
    expect(secondary.calls).toBe(2);
    expect(gateway.status().deployments[1]?.breaker.state).toBe('half-open');
  });

  it('still answers from a half-open standby when the primary fails while a copy would be slow', async () => {
    const { gateway, clock, p } = build();
    const secondary = p('secondary');
    await halfOpenSecondary(gateway, clock, secondary);
    // A copy sent before the live request would hang on the standby, holding its trial slot.
    secondary.script = () => (p('primary').calls === 0 ? 'hang' : 'ok');
    p('primary').script = () => failure('unavailable');
    const { servedBy } = await gateway.chat(hello());
    expect(servedBy.deployment).toBe('secondary');
    expect(gateway.status().deployments[1]?.breaker.state).toBe('closed');
  });

  it('skips, never queues, a copy to a standby whose copies hold a quarter of its connections', async () => {
    const { gateway, records, p } = build({ max_connections: 4 });
    p('secondary').script = () => 'hang';
    for (let i = 0; i < 3; i++) await gateway.chat(hello());
    await settle();
    expect(p('secondary').calls).toBe(1);
    expect(gateway.status().deployments[1]?.inFlight).toBe(1);
    await gateway.close();
    await settle();
    expect(shadows(records).map((r) => r.outcome)).toEqual(['cancelled']);
  });

  it('cancels a copy whose connection a live attempt would otherwise wait for, and counts it no standby error', async () => {
    const { gateway, records, p } = build({ max_connections: 4 });
    const secondary = p('secondary');
    secondary.script = () => 'hang';
    await gateway.chat(hello());
    const client = new AbortController();
    // Three live requests fill the pool beside the copy; a fourth takes the copy's connection.
    const live = Array.from({ length: 4 }, () => gateway.chat(hello(), { override: 'secondary', signal: client.signal }).catch(() => undefined));
    await settle();
    expect(shadows(records).map((r) => [r.outcome, r.error?.kind])).toEqual([['cancelled', 'cancelled']]);
    expect(secondary.calls).toBe(5);
    expect(gateway.status().deployments[1]?.shadow).toEqual({ requests: 1, errors: 0 });
    client.abort();
    await Promise.all(live);
  });
});
