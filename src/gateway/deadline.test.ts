import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CancelSignal } from '../core/cancel.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { AttemptRecord } from '../core/events.js';
import type { CallContext } from '../core/provider.js';
import type { ChatRequest, ChatResponse } from '../core/types.js';
import type { ConfigInput } from '../config/schema.js';
import { userRequest } from '../testing/canonical.js';
import { FakeProvider, failure, rawDeployment, seeded } from '../routing/testing/fakes.js';
import { createGateway } from './gateway.js';

/** An upstream that takes `latencyMs(call)` of (fake) time before its scripted outcome. */
class SlowProvider extends FakeProvider {
  latencyMs: (call: number) => number = () => 0;

  override async chat(req: ChatRequest, ctx: CallContext): Promise<ChatResponse> {
    await systemClock.sleep(this.latencyMs(this.calls + 1), ctx.signal);
    return super.chat(req, ctx);
  }
}

/** The real clock under vitest's fake timers, noting when each backoff sleep would end. */
function recordingClock(): Clock & { sleepsEndAt: number[] } {
  const sleepsEndAt: number[] = [];
  return {
    sleepsEndAt,
    now: () => systemClock.now(),
    sleep: (ms: number, signal?: CancelSignal) => {
      sleepsEndAt.push(systemClock.now() + ms);
      return systemClock.sleep(ms, signal);
    },
  };
}

function build(ids: string[], routing: NonNullable<ConfigInput['routing']>) {
  vi.useFakeTimers();
  const providers = new Map<string, SlowProvider>();
  const records: AttemptRecord[] = [];
  const clock = recordingClock();
  const gateway = createGateway(
    { routing, deployments: ids.map((id) => rawDeployment(id)), groups: [{ name: 'chat', deployments: ids }] },
    {
      clock,
      random: seeded(5),
      observers: [{ onAttempt: (r) => records.push(r) }],
      createProvider: (d) => {
        const p = new SlowProvider(d.id);
        providers.set(d.id, p);
        return p;
      },
    },
  );
  const startedAt = clock.now();
  return { gateway, clock, records, startedAt, p: (id: string) => providers.get(id) as SlowProvider };
}

/** Runs a chat request to its end under fake timers: its answer or its error, and when it came. */
async function settle(answer: Promise<unknown>): Promise<{ out: unknown; at: number }> {
  const outcome = answer.then(
    (out) => ({ out, at: systemClock.now() }),
    (out: unknown) => ({ out, at: systemClock.now() }),
  );
  await vi.advanceTimersByTimeAsync(10_000);
  return outcome;
}

const hello = userRequest('chat', 'hi');

afterEach(() => vi.useRealTimers());

describe('retry versus the request deadline', () => {
  it('falls back at once on a 503 when the time left cannot hold a retry besides a whole attempt on the next deployment', async () => {
    // A's slow 503 leaves 700 ms: a whole 500 ms attempt kept for B leaves less than half an attempt for a retry.
    const { gateway, clock, records, startedAt, p } = build(['a', 'b'], { deadline_ms: 1_000, attempt_timeout_ms: 500, max_attempts_per_deployment: 2 });
    p('a').latencyMs = () => 300;
    p('a').script = () => failure('unavailable');
    p('b').latencyMs = () => 350;
    const { out, at } = await settle(gateway.chat(hello));
    expect(out).toMatchObject({ servedBy: { deployment: 'b' } });
    expect(p('a').calls).toBe(1);
    expect(records.map((r) => [r.deployment, r.role, r.outcome, r.error?.kind])).toEqual([
      ['a', 'primary', 'error', 'unavailable'],
      ['b', 'fallback', 'ok', undefined],
    ]);
    expect(clock.sleepsEndAt).toEqual([]);
    expect(at - startedAt).toBe(650);
  });

  it('cuts a retry short so that the next deployment keeps a whole attempt before the deadline', async () => {
    // A's 503 leaves 700 ms: the retry gets what is left before the last 400 ms, which B keeps.
    const { gateway, clock, records, startedAt, p } = build(['a', 'b'], { deadline_ms: 1_000, attempt_timeout_ms: 400, max_attempts_per_deployment: 2 });
    p('a').latencyMs = (n) => (n === 1 ? 300 : 60_000);
    p('a').script = () => failure('unavailable');
    p('b').latencyMs = () => 350;
    const { out, at } = await settle(gateway.chat(hello));
    expect(out).toMatchObject({ servedBy: { deployment: 'b' } });
    const retryStartedAt = (clock.sleepsEndAt[0] ?? Number.NaN) - startedAt;
    expect(records.map((r) => [r.deployment, r.role, r.outcome, r.error?.kind, r.latencyMs])).toEqual([
      ['a', 'primary', 'error', 'unavailable', 300],
      ['a', 'retry', 'error', 'timeout', 600 - retryStartedAt],
      ['b', 'fallback', 'ok', undefined, 350],
    ]);
    expect(records[1]?.error?.message).toMatch(/^Deployment a did not answer within \d+ ms\.$/);
    expect(at - startedAt).toBe(950);
    for (const end of clock.sleepsEndAt) expect(end).toBeLessThan(startedAt + 1_000);
  });

  it('still retries the same deployment first when the deadline holds the retry and a fallback attempt after it', async () => {
    const { gateway, clock, records, startedAt, p } = build(['a', 'b'], { deadline_ms: 2_000, attempt_timeout_ms: 400, max_attempts_per_deployment: 2 });
    p('a').latencyMs = () => 300;
    p('a').script = (n) => (n === 1 ? failure('unavailable') : 'ok');
    const { out, at } = await settle(gateway.chat(hello));
    expect(out).toMatchObject({ servedBy: { deployment: 'a' } });
    expect(records.map((r) => [r.deployment, r.role, r.outcome])).toEqual([
      ['a', 'primary', 'error'],
      ['a', 'retry', 'ok'],
    ]);
    expect(p('b').calls).toBe(0);
    expect(at - startedAt).toBeLessThan(2_000);
    expect(clock.sleepsEndAt).toHaveLength(1);
    for (const end of clock.sleepsEndAt) expect(end).toBeLessThan(startedAt + 2_000);
  });

  it('retries a lone deployment under the same tight deadline, the backoff ending before the deadline', async () => {
    const { gateway, clock, records, startedAt, p } = build(['a'], { deadline_ms: 1_000, attempt_timeout_ms: 400, max_attempts_per_deployment: 2 });
    p('a').latencyMs = () => 300;
    p('a').script = (n) => (n === 1 ? failure('unavailable') : 'ok');
    const { out, at } = await settle(gateway.chat(hello));
    expect(out).toMatchObject({ servedBy: { deployment: 'a' } });
    expect(records.map((r) => [r.role, r.outcome])).toEqual([
      ['primary', 'error'],
      ['retry', 'ok'],
    ]);
    expect(at - startedAt).toBeLessThan(1_000);
    expect(clock.sleepsEndAt).toHaveLength(1);
    for (const end of clock.sleepsEndAt) expect(end).toBeLessThan(startedAt + 1_000);
  });

  it('does not sleep past the deadline for a lone deployment: a retry-after longer than the time left ends the request with the 503', async () => {
    const { gateway, clock, records, startedAt, p } = build(['a'], { deadline_ms: 1_000, attempt_timeout_ms: 400, max_attempts_per_deployment: 2 });
    p('a').latencyMs = () => 300;
    p('a').script = () => failure('unavailable', { retryAfterMs: 800 });
    const { out, at } = await settle(gateway.chat(hello));
    expect(out).toMatchObject({ kind: 'unavailable', status: 503 });
    expect(records).toHaveLength(1);
    expect(clock.sleepsEndAt).toEqual([]);
    expect(at - startedAt).toBe(300);
  });
});
