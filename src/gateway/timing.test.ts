import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import type { StreamPart } from '../core/types.js';
import { userRequest } from '../testing/canonical.js';
import { failure, rawDeployment } from '../routing/testing/fakes.js';
import { fakeGateway } from './testing/fake-gateway.js';

const twoDeployments = {
  routing: { max_attempts_per_deployment: 1 },
  deployments: [rawDeployment('primary'), rawDeployment('secondary')],
  groups: [{ name: 'chat', deployments: ['primary', 'secondary'] }],
};

async function drain(parts: AsyncIterable<StreamPart>): Promise<void> {
  for await (const p of parts) void p;
}

// What the access line and Server-Timing split a request's time by: the gateway's own measurements of its
// attempts (the ledger's and the spans'), handed over on ServedBy, never a second clock reading of theirs.
describe('where ServedBy says the time went', () => {
  it('gives a whole answer its attempt\'s upstream time and every attempt\'s, a failed one included', async () => {
    const { gateway, clock, p, records } = fakeGateway(twoDeployments);
    p('primary').script = () => (clock.advance(40), failure('unavailable'));
    p('secondary').script = () => (clock.advance(25), 'ok');
    const { servedBy } = await gateway.chat(userRequest('chat', 'hi'));
    expect(servedBy).toMatchObject({ deployment: 'secondary', attempts: 2, upstreamMs: 25, attemptsMs: 65, ttftMs: undefined });
    expect(records.map((r) => r.latencyMs)).toEqual([40, 25]);
  });

  it('gives a stream its time to first content at once, and its upstream time when it ends', async () => {
    const { gateway, clock, p, records } = fakeGateway(twoDeployments);
    p('primary').script = () => (clock.advance(30), failure('unavailable'));
    p('secondary').script = () => (clock.advance(10), 'ok');
    const { parts, servedBy } = await gateway.stream(userRequest('chat', 'hi'));
    expect(servedBy).toMatchObject({ deployment: 'secondary', attempts: 2, ttftMs: 10, upstreamMs: undefined, attemptsMs: 30 });
    clock.advance(50);
    await drain(parts);
    expect(servedBy).toMatchObject({ ttftMs: 10, upstreamMs: 60, attemptsMs: 90 });
    expect(records.at(-1)).toMatchObject({ ttftMs: 10, latencyMs: 60 });
  });

  it('counts no upstream time for an answer from the cache', async () => {
    const { gateway, clock, p } = fakeGateway({ ...twoDeployments, groups: [{ name: 'chat', deployments: ['primary', 'secondary'], cache: { enabled: true } }] });
    p('primary').script = () => (clock.advance(25), 'ok');
    await gateway.chat(userRequest('chat', 'hi', { temperature: 0 }));
    const { servedBy, cache } = await gateway.chat(userRequest('chat', 'hi', { temperature: 0 }));
    expect(cache).toBe('hit');
    expect(servedBy).toMatchObject({ attempts: 0, upstreamMs: undefined, attemptsMs: 0 });
  });

  it('tells a failure how the request was routed and its attempts\' upstream time, and a refusal at admission its group', async () => {
    const { gateway, clock, p } = fakeGateway(twoDeployments);
    p('primary').script = () => (clock.advance(40), failure('unavailable'));
    p('secondary').script = () => (clock.advance(25), failure('unavailable'));
    await expect(gateway.chat(userRequest('chat', 'hi'))).rejects.toMatchObject({ group: 'chat', deployment: 'secondary', attempts: 2, upstreamMs: 65 });
    const refusal = new GatewayError({ kind: 'budget_exceeded', message: 'Budget team-daily is spent.' });
    const { gateway: refusing } = fakeGateway(twoDeployments, { admission: { admit: () => Promise.reject(refusal) } });
    await expect(refusing.chat(userRequest('chat', 'hi'))).rejects.toMatchObject({ kind: 'budget_exceeded', group: 'chat', upstreamMs: undefined });
  });
});
