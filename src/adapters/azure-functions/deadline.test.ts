import { HttpRequest } from '@azure/functions';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CancelSignal } from '../../core/cancel.js';
import type { AttemptRecord } from '../../core/events.js';
import type { StreamPart } from '../../core/types.js';
import { createGateway } from '../../gateway/gateway.js';
import { createHttpHandler } from '../../http/handler.js';
import { FakeProvider, rawDeployment } from '../../routing/testing/fakes.js';
import { createAzureHandler } from './handler.js';
import { asPlatformResponse, recordingContext } from './testing/azure.js';

/**
 * The gateway behind the Azure adapter, its one deployment's provider `provider`; `order` tells when the
 * attempt was recorded and when onSettled (the ledger flush) ran.
 */
function azureGateway(provider: FakeProvider, deadlineMs?: number) {
  const records: AttemptRecord[] = [];
  const order: string[] = [];
  // routing.deadline_ms above Azure's 230 s: only the adapter's deadline can answer in time.
  const gateway = createGateway(
    { deployments: [rawDeployment('d')], groups: [{ name: 'chat', deployments: ['d'] }], routing: { deadline_ms: 600_000, attempt_timeout_ms: 600_000, ttft_timeout_ms: 600_000, stream_idle_timeout_ms: 600_000 } },
    { observers: [{ onAttempt: (r) => (records.push(r), order.push(`recorded ${r.outcome}`)) }], createProvider: () => provider },
  );
  const onSettled = async (): Promise<void> => void order.push('settled');
  const fn = createAzureHandler(createHttpHandler(gateway, {}), deadlineMs === undefined ? { onSettled } : { onSettled, deadlineMs });
  const chat = (stream: boolean) =>
    fn(new HttpRequest({ url: 'https://gw/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body: { string: JSON.stringify({ model: 'chat', stream, messages: [{ role: 'user', content: 'hi' }] }) } }), recordingContext().context);
  return { chat, records, order };
}

/** A provider whose stream sends "Hel" at once, then one part each time `next()` is called, until aborted. */
function tricklingProvider() {
  const provider = new FakeProvider('d');
  let release: (() => void) | undefined;
  provider.stream = async (_req, ctx) => {
    const signal: CancelSignal = ctx.signal;
    const aborted = new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));
    aborted.catch(() => undefined);
    return (async function* (): AsyncGenerator<StreamPart> {
      yield { type: 'start', id: 'd', model: 'd' };
      yield { type: 'text', delta: 'Hel' };
      for (;;) {
        await Promise.race([new Promise<void>((r) => (release = r)), aborted]);
        yield { type: 'text', delta: 'lo' };
      }
    })();
  };
  return { provider, next: () => release?.() };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('the Azure adapter\'s deadline (the front end drops an answer silent for 230 s)', () => {
  it('answers a JSON request still waiting on its upstream at 220 s with a timeout in the OpenAI shape, after recording and settling it', async () => {
    vi.useFakeTimers();
    const provider = new FakeProvider('d');
    provider.script = () => 'hang';
    const { chat, records, order } = azureGateway(provider);
    let answered = false;
    const pending = chat(false).then((init) => ((answered = true), init));
    await vi.advanceTimersByTimeAsync(219_999);
    expect(answered).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const response = asPlatformResponse(await pending);
    expect(response.status).toBe(504);
    expect(await response.json()).toMatchObject({ error: { type: 'timeout_error' } });
    expect(records).toMatchObject([{ deployment: 'd', outcome: 'error', usageEstimated: true, error: { kind: 'timeout', code: 'deadline_exceeded' } }]);
    expect(records[0]?.usage?.prompt).toBeGreaterThan(0);
    expect(order).toEqual(['recorded error', 'settled']);
  });

  it('takes its deadline from the options', async () => {
    vi.useFakeTimers();
    const provider = new FakeProvider('d');
    provider.script = () => 'hang';
    const { chat } = azureGateway(provider, 30_000);
    const pending = chat(false);
    await vi.advanceTimersByTimeAsync(30_000);
    expect((await pending).status).toBe(504);
  });

  it('keeps a stream that sends chunks alive past the deadline, and ends one silent for it with an error event, recorded and settled', async () => {
    vi.useFakeTimers();
    const { provider, next } = tricklingProvider();
    const { chat, records, order } = azureGateway(provider, 100_000);
    const response = asPlatformResponse(await chat(true));
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    const reading = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        text += decoder.decode(value);
      }
    })();
    for (let i = 0; i < 3; i++) {
      await vi.advanceTimersByTimeAsync(90_000);
      next();
    }
    await vi.advanceTimersByTimeAsync(0);
    expect(records).toEqual([]);
    await vi.advanceTimersByTimeAsync(100_000);
    await reading;
    expect(text).toContain('"content":"lo"');
    expect(text).toMatch(/"type":"timeout_error"/);
    expect(text).not.toContain('[DONE]');
    expect(records).toMatchObject([{ outcome: 'error', error: { kind: 'timeout', code: 'deadline_exceeded' } }]);
    expect(order).toEqual(['recorded error', 'settled']);
  });
});
