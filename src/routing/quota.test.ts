import { describe, expect, it } from 'vitest';
import { QuotaMeter, quotaSchema } from './quota.js';
import { noLoad } from './load.js';
import { DeploymentState } from './deployment-state.js';
import { FakeClock, fakeDeployment, routing } from './testing/fakes.js';

const T0 = 1_000_000_020_000; // on a 5 s bucket boundary

describe('a deployment quota', () => {
  it('is near at prefer_below, full when the next request would go past it, and frees as the oldest requests leave the minute', () => {
    const q = new QuotaMeter(quotaSchema.parse({ rpm: 5, prefer_below: 0.6 }));
    for (let i = 0; i < 2; i++) q.add(T0, 0);
    expect(q.near(T0)).toBe(false);
    q.add(T0 + 10_000, 0);
    expect(q.near(T0 + 10_000)).toBe(true);
    q.add(T0 + 10_000, 0);
    expect(q.full(T0 + 10_000, 0)).toBe(false);
    q.add(T0 + 10_000, 0);
    expect(q.full(T0 + 10_000, 0)).toBe(true);
    expect(q.exhausted(T0 + 10_000)).toBe(true);
    // The two requests of T0 leave the window a minute after their bucket.
    expect(q.freesAt(T0 + 10_000)).toBe(T0 + 60_000 + 5_000);
    expect(q.full(T0 + 64_999, 0)).toBe(true);
    expect(q.full(T0 + 65_000, 0)).toBe(false);
    expect(q.status(T0 + 65_000)).toEqual({ rpm: 5, tpm: undefined, lastMinuteRequests: 3, lastMinuteTokens: 0, headroom: 0.4 });
  });

  it("counts tokens, is corrected to the real usage, and refuses a request that would not fit the minute's tokens", () => {
    const q = new QuotaMeter(quotaSchema.parse({ tpm: 1000 }));
    q.add(T0, 900);
    expect(q.full(T0, 200)).toBe(true);
    q.correct(T0 + 1, -700);
    expect(q.full(T0 + 1, 200)).toBe(false);
    expect(q.status(T0 + 1).headroom).toBeCloseTo(0.8);
  });

  it('takes back an unsent attempt from the bucket it was counted in, so the minute never reads below what went upstream', () => {
    const q = new QuotaMeter(quotaSchema.parse({ rpm: 10, tpm: 1000 }));
    q.add(T0, 300); // never sent
    q.add(T0 + 6_000, 100); // sent
    q.release(T0, T0 + 7_000, 300);
    expect(q.status(T0 + 7_000)).toMatchObject({ lastMinuteRequests: 1, lastMinuteTokens: 100 });
    // T0's bucket has left the window, T0 + 6 s's has not: still the one request that went upstream.
    expect(q.status(T0 + 65_000)).toMatchObject({ lastMinuteRequests: 1, lastMinuteTokens: 100 });
    // Too late to take back once its bucket has left: nothing is taken from the requests counted since.
    q.add(T0 + 70_000, 50);
    q.release(T0, T0 + 70_000, 300);
    expect(q.status(T0 + 70_000)).toMatchObject({ lastMinuteRequests: 1, lastMinuteTokens: 50 });
  });

  it('admits one request of any size into an idle minute, so a large prompt is never refused for ever', () => {
    const q = new QuotaMeter(quotaSchema.parse({ tpm: 1000 }));
    expect(q.full(T0, 5000)).toBe(false);
  });

  it('cools its deployment down until the window frees once an attempt uses it up', () => {
    const d = fakeDeployment('a', { quota: quotaSchema.parse({ rpm: 2 }) });
    d.state.begin({ startedAt: T0 });
    expect(d.state.coolingUntil).toBe(0);
    d.state.begin({ startedAt: T0 + 5_000 });
    expect(d.state.coolingUntil).toBe(T0 + 65_000);
    expect(d.state.status(T0 + 5_000, 0.1).quota).toMatchObject({ rpm: 2, lastMinuteRequests: 2, headroom: 0 });
  });

  it('shares the cool-down of an attempt that used the quota up once that attempt was sent, and lifts it unshared when it was not', () => {
    const published: number[] = [];
    const d = fakeDeployment('a', { quota: quotaSchema.parse({ rpm: 2 }) });
    const state = new DeploymentState(d.config, routing(), undefined, (until) => published.push(until));
    const [first, refused, third] = [{ startedAt: T0 }, { startedAt: T0 + 5_000 }, { startedAt: T0 + 6_000 }];
    state.begin(first);
    state.sent(first, T0);
    state.begin(refused);
    expect(state.coolingUntil).toBe(T0 + 65_000);
    // Connection refused before the request was written: the upstream's quota saw nothing of it.
    state.unsent(refused, T0 + 5_010, 0);
    expect([state.coolingUntil, published]).toEqual([0, []]);
    state.begin(third);
    state.sent(third, T0 + 6_100);
    expect([state.coolingUntil, published]).toEqual([T0 + 65_000, [T0 + 65_000]]);
  });

  it('tells two attempts begun in the same millisecond apart: the other one being sent shares nothing, the one that used the quota up turning out unsent lifts its cool-down', () => {
    const clock = new FakeClock();
    clock.t = T0;
    const published: number[] = [];
    const d = fakeDeployment('a', { quota: quotaSchema.parse({ rpm: 2 }) });
    const state = new DeploymentState(d.config, routing(), undefined, (until) => published.push(until));
    const sent = { startedAt: clock.now() };
    const refused = { startedAt: clock.now() };
    state.begin(sent);
    state.begin(refused);
    expect(state.coolingUntil).toBe(T0 + 65_000);
    clock.advance(40);
    // `sent` reached the upstream, but the cool-down is `refused`'s, not yet known to have been sent.
    state.sent(sent, clock.now());
    expect(published).toEqual([]);
    clock.advance(10);
    // `refused` never left: one request of two is used, so the deployment is not cooling at all.
    state.unsent(refused, clock.now(), 0);
    expect([state.coolingUntil, published]).toEqual([0, []]);
    expect(state.status(clock.now(), 0.1).quota).toMatchObject({ lastMinuteRequests: 1 });
  });

  it('tells two attempts begun in the same millisecond apart: the other one turning out unsent leaves the cool-down held until the one that used the quota up is sent', () => {
    const clock = new FakeClock();
    clock.t = T0;
    const published: number[] = [];
    const d = fakeDeployment('a', { quota: quotaSchema.parse({ tpm: 1_000 }) });
    const state = new DeploymentState(d.config, routing(), undefined, (until) => published.push(until));
    const refused = { startedAt: clock.now() };
    const sent = { startedAt: clock.now() };
    state.begin(refused, false, 0);
    state.begin(sent, false, 1_000);
    expect(state.coolingUntil).toBe(T0 + 65_000);
    clock.advance(10);
    // `refused` counted no tokens: the quota is still used up without it, but `sent` is not known to have left yet.
    state.unsent(refused, clock.now(), 0);
    expect([state.coolingUntil, published]).toEqual([T0 + 65_000, []]);
    clock.advance(30);
    state.sent(sent, clock.now());
    expect([state.coolingUntil, published]).toEqual([T0 + 65_000, [T0 + 65_000]]);
  });

  it('keeps a cool-down an unsent attempt started when a 429 has since replaced it', () => {
    const d = fakeDeployment('a', { quota: quotaSchema.parse({ rpm: 2 }) });
    const second = { startedAt: T0 + 5_000 };
    d.state.begin({ startedAt: T0 });
    d.state.begin(second);
    d.state.coolDown(T0 + 5_001, 120_000);
    d.state.unsent(second, T0 + 5_010, 0);
    expect(d.state.coolingUntil).toBe(T0 + 125_001);
  });

  it("counts the other workers' relayed use: full for the pod though its own count is not, and frees when their oldest requests leave", () => {
    const others = noLoad();
    const q = new QuotaMeter(quotaSchema.parse({ rpm: 4, tpm: 1_000, prefer_below: 0.5 }), others);
    q.add(T0 + 10_000, 100);
    q.add(T0 + 10_000, 100);
    expect(q.full(T0 + 10_000, 0)).toBe(false);
    Object.assign(others, { requests: 2, tokens: 200, quotaFreesAt: T0 + 65_000 });
    expect(q.near(T0 + 10_000)).toBe(true);
    expect(q.full(T0 + 10_000, 0)).toBe(true);
    expect(q.exhausted(T0 + 10_000)).toBe(true);
    // The others' oldest requests leave before this worker's own.
    expect(q.freesAt(T0 + 10_000)).toBe(T0 + 65_000);
    // Tokens count too: 400 of 1000 used, so 700 more would not fit.
    others.requests = 0;
    expect(q.full(T0 + 10_000, 700)).toBe(true);
    expect(q.full(T0 + 10_000, 500)).toBe(false);
    // Status keeps this worker's own counts (the cluster status adds the workers'), the headroom the pod's.
    expect(q.status(T0 + 10_000)).toEqual({ rpm: 4, tpm: 1_000, lastMinuteRequests: 2, lastMinuteTokens: 200, headroom: 0.5 });
  });

  it('admits one request into an idle minute only when the other workers are idle too, and reads a past relayed freeing as gone', () => {
    const others = noLoad();
    const q = new QuotaMeter(quotaSchema.parse({ rpm: 2 }), others);
    Object.assign(others, { requests: 2, quotaFreesAt: T0 + 30_000 });
    expect(q.full(T0, 0)).toBe(true);
    expect(q.freesAt(T0)).toBe(T0 + 30_000);
    // A stale relay (its time passed before the next report) says nothing more of when the minute frees.
    expect(q.freesAt(T0 + 31_000)).toBe(T0 + 31_000);
  });

  it('rejects a quota without rpm or tpm', () => {
    expect(quotaSchema.safeParse({ prefer_below: 0.5 }).success).toBe(false);
  });
});
