import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../config/load.js';
import type { CallContext } from '../core/provider.js';
import type { ChatRequest, StreamPart } from '../core/types.js';
import { createGateway } from '../gateway/gateway.js';
import { isBodyStream } from '../http/exchange.js';
import { createHttpHandler } from '../http/handler.js';
import { FakeProvider, rawDeployment } from '../routing/testing/fakes.js';
import { STREAM_END_RESERVE_MS, boundStreamMax } from './stream-limit.js';

afterEach(() => {
  vi.useRealTimers();
});

const routing = (extra: Record<string, unknown> = {}) =>
  resolveConfig({ deployments: [rawDeployment('d')], groups: [{ name: 'chat', deployments: ['d'] }], routing: extra }).routing;

/** An upstream that sends a word every 10 s and never finishes, until its call is aborted. */
class TricklingProvider extends FakeProvider {
  override stream(_req: ChatRequest, ctx: CallContext): Promise<AsyncIterable<StreamPart>> {
    return Promise.resolve(
      (async function* (): AsyncGenerator<StreamPart> {
        yield { type: 'start', id: 'd', model: 'd' };
        for (;;) {
          yield { type: 'text', delta: 'word ' };
          await new Promise((resolve) => setTimeout(resolve, 10_000));
          if (ctx.signal.aborted) throw ctx.signal.reason as Error;
        }
      })(),
    );
  }
}

describe('boundStreamMax', () => {
  it("lowers the default hour under a 15-minute Lambda to the invocation less deadline_ms and the reserve, without a warning", () => {
    expect(boundStreamMax(routing(), 900_000)).toEqual({ streamMaxMs: 900_000 - 120_000 - STREAM_END_RESERVE_MS });
  });

  it('keeps a value the config sets below what the platform allows', () => {
    expect(boundStreamMax(routing({ stream_max_ms: 600_000 }), 900_000)).toEqual({ streamMaxMs: 600_000 });
  });

  it('lowers a value the config sets above what the platform allows, with a warning naming the setting', () => {
    const { streamMaxMs, warning } = boundStreamMax(routing({ stream_max_ms: 1_200_000 }), 900_000);
    expect(streamMaxMs).toBe(770_000);
    expect(warning).toMatch(/^routing\.stream_max_ms is 1200000 ms, but this platform ends an invocation after 900000 ms: streams end after 770000 ms/);
  });

  it('lowers 0 (no limit) with a warning too', () => {
    const { streamMaxMs, warning } = boundStreamMax(routing({ stream_max_ms: 0 }), 3_600_000);
    expect(streamMaxMs).toBe(3_470_000);
    expect(warning).toContain('routing.stream_max_ms is 0 (no limit)');
  });

  it('keeps half of an invocation shorter than deadline_ms for the stream rather than none', () => {
    expect(boundStreamMax(routing(), 60_000).streamMaxMs).toBe(30_000);
  });

  it("ends a never-finishing stream with the gateway's own timeout error before a 15-minute invocation is cut", async () => {
    vi.useFakeTimers();
    const config = resolveConfig({ deployments: [rawDeployment('d')], groups: [{ name: 'chat', deployments: ['d'] }] });
    config.routing.stream_max_ms = boundStreamMax(config.routing, 900_000).streamMaxMs;
    const gateway = createGateway(config, { createProvider: () => new TricklingProvider('d') });
    const body = new TextEncoder().encode(JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'hi' }] }));
    const started = Date.now();
    const response = await createHttpHandler(gateway, {})({ method: 'POST', path: '/v1/chat/completions', query: '', headers: { 'content-type': 'application/json' }, body, signal: new AbortController().signal });
    if (!isBodyStream(response.body)) throw new Error('expected a stream');
    const frames: string[] = [];
    let endedAt = Infinity;
    const read = (async () => {
      for await (const frame of response.body as AsyncIterable<string>) frames.push(frame);
      endedAt = Date.now();
    })();
    await vi.advanceTimersByTimeAsync(900_000);
    await read;
    const last = frames.join('').trim().split('\n\n').at(-1) ?? '';
    expect(last).toContain('routing.stream_max_ms');
    expect(last).toContain('timeout');
    expect(frames.join('')).not.toContain('[DONE]');
    // The limit counts from the first content; the timeout is noticed at the next word, 10 s apart at most.
    expect(endedAt - started).toBeGreaterThanOrEqual(770_000);
    expect(endedAt - started).toBeLessThanOrEqual(780_000);
    await gateway.close();
  });
});
