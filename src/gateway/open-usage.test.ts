import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CallContext } from '../core/provider.js';
import { GatewayError } from '../core/errors.js';
import { makeUsage, type PromptCount, type StreamPart } from '../core/types.js';
import { rawDeployment } from '../routing/testing/fakes.js';
import { userRequest } from '../testing/canonical.js';
import { fakeGateway } from './testing/fake-gateway.js';

const twoDeployments = {
  routing: { max_attempts_per_deployment: 1, ttft_timeout_ms: 1_000 },
  deployments: [rawDeployment('primary'), rawDeployment('secondary')],
  groups: [{ name: 'chat', deployments: ['primary', 'secondary'] }],
};

// Anthropic's message_start for a prompt mostly read from the cache: 12 new, 15,000 read, 40 written (10 for an hour).
const prompt: PromptCount = { prompt: 15_052, cachedRead: 15_000, cachedWrite: 40, cachedWrite1h: 10 };
const reported = makeUsage(prompt);

/** The parts an upstream sends before its first content, then its end: `fail` thrown, or a wait for the abort. */
function opening(head: StreamPart[], fail?: GatewayError, readHead?: () => void) {
  return (_req: unknown, ctx: CallContext): Promise<AsyncIterable<StreamPart>> =>
    Promise.resolve(
      (async function* (): AsyncGenerator<StreamPart> {
        yield* head;
        // Asked for the next part: the gateway holds all of `head`.
        readHead?.();
        if (fail) throw fail;
        await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error), { once: true }));
      })(),
    );
}

afterEach(() => vi.useRealTimers());

/**
 * A stream that fails before its first content falls back, but the upstream may have counted its
 * prompt already (Claude's message_start, with its cached reads and writes, Gemini's counts so far):
 * that attempt is billed those figures, however it failed (an in-stream error, a garbled event, a cut,
 * the client leaving, the wait for the first content timing out), not the gateway's guess at full
 * input price, nor nothing.
 */
describe('what a stream that fails before its first content is billed', () => {
  const failures: Array<[string, GatewayError]> = [
    ["an in-stream error event (Anthropic's overloaded_error)", new GatewayError({ kind: 'overloaded', message: 'Upstream primary is overloaded mid-stream.' })],
    ['an event it could not read', new GatewayError({ kind: 'bad_upstream_response', message: 'Upstream primary sent a malformed stream event.' })],
    ['a connection cut under its 200', new GatewayError({ kind: 'network', message: 'Upstream primary connection failed (ECONNRESET).', upstreamStatus: 200 })],
    ['a body that ended before message_stop', new GatewayError({ kind: 'network', message: 'Upstream primary stream ended before message_stop.' })],
  ];

  it.each(failures)("bills %s the prompt message_start counted, cached reads and writes (the hour's apart) included, and falls back", async (_, error) => {
    const { gateway, p, records } = fakeGateway(twoDeployments);
    p('primary').stream = opening([{ type: 'start', id: 'msg_1', prompt }], error);
    const { servedBy } = await gateway.stream(userRequest('chat', 'hi'));
    expect(servedBy.deployment).toBe('secondary');
    expect(records[0]).toMatchObject({ deployment: 'primary', outcome: 'error', error: { kind: error.kind }, usage: reported, usageEstimated: true });
    // What the request's cost says it spent before its answer is that same usage.
    expect(servedBy.failed).toEqual([expect.objectContaining({ deployment: 'primary', usage: reported })]);
  });

  it('bills a stream the client left after message_start the same way', async () => {
    const { gateway, p, records } = fakeGateway(twoDeployments);
    let read!: () => void;
    const headRead = new Promise<void>((r) => (read = r));
    p('primary').stream = opening([{ type: 'start', prompt }], undefined, read);
    const client = new AbortController();
    const asked = gateway.stream(userRequest('chat', 'hi'), { signal: client.signal });
    await headRead;
    client.abort();
    await expect(asked).rejects.toMatchObject({ kind: 'cancelled' });
    expect(records).toEqual([expect.objectContaining({ deployment: 'primary', outcome: 'cancelled', usage: reported, usageEstimated: true })]);
  });

  it('bills a stream whose first content did not come in time after message_start the same way', async () => {
    vi.useFakeTimers();
    const { gateway, p, records } = fakeGateway(twoDeployments);
    p('primary').stream = opening([{ type: 'start', prompt }]);
    const asked = gateway.stream(userRequest('chat', 'hi'));
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await asked).servedBy.deployment).toBe('secondary');
    expect(records[0]).toMatchObject({ deployment: 'primary', outcome: 'error', error: { kind: 'timeout' }, usage: reported, usageEstimated: true });
  });

  it('bills the counts so far an upstream gave before any content (their prompt, and their completion: thoughts it did not stream)', async () => {
    const { gateway, p, records } = fakeGateway(twoDeployments);
    const soFar = makeUsage({ prompt: 1_200, cachedRead: 1_000, completion: 250, reasoning: 250 });
    p('primary').stream = opening([{ type: 'start' }, { type: 'usage', usage: soFar }], new GatewayError({ kind: 'network', message: 'cut', upstreamStatus: 200 }));
    await gateway.stream(userRequest('chat', 'hi'));
    expect(records[0]).toMatchObject({ deployment: 'primary', outcome: 'error', usage: soFar, usageEstimated: true });
  });

  it('bills an upstream that reported nothing before failing (an OpenAI-compatible one counts only at the end) as before: the estimate for a cut, nothing for an error event', async () => {
    const { gateway, p, records } = fakeGateway(twoDeployments);
    p('primary').stream = opening([{ type: 'start', id: 'chatcmpl-1' }], new GatewayError({ kind: 'network', message: 'cut', upstreamStatus: 200 }));
    await gateway.stream(userRequest('chat', 'hi'));
    expect(records[0]).toMatchObject({ deployment: 'primary', outcome: 'error', usageEstimated: true, usage: { cachedRead: 0, completion: 0 } });
    expect(records[0]?.usage?.prompt).toBeLessThan(100);
    records.length = 0;
    p('primary').stream = opening([{ type: 'start', id: 'chatcmpl-1' }], new GatewayError({ kind: 'upstream_error', message: 'Upstream primary failed with a server error mid-stream.' }));
    await gateway.stream(userRequest('chat', 'hi'));
    expect(records[0]).toMatchObject({ deployment: 'primary', outcome: 'error', usage: undefined, usageEstimated: false });
  });
});
