import type { AttemptRecord } from '../../core/events.js';
import type { ConfigInput } from '../../config/schema.js';
import { FakeClock, FakeProvider, seeded } from '../../routing/testing/fakes.js';
import { createGateway, type GatewayOptions } from '../gateway.js';

/**
 * A gateway over `FakeProvider`s on a fake clock with a seeded random, recording every attempt: the
 * gateway's specs drive it and script each deployment's provider (`p(id)`).
 */
export function fakeGateway(raw: Omit<ConfigInput, 'deployments'> & { deployments: ConfigInput['deployments'] }, extra: GatewayOptions = {}) {
  const providers = new Map<string, FakeProvider>();
  const records: AttemptRecord[] = [];
  const clock = extra.clock instanceof FakeClock ? extra.clock : new FakeClock();
  const gateway = createGateway(raw, {
    clock,
    random: seeded(5),
    observers: [{ onAttempt: (r) => records.push(r) }],
    createProvider: (d) => {
      const p = new FakeProvider(d.id);
      providers.set(d.id, p);
      return p;
    },
    ...extra,
  });
  return { gateway, clock, records, p: (id: string) => providers.get(id) as FakeProvider };
}
