import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import { createGateway, type Gateway } from '../gateway/gateway.js';
import type { HttpHandler, HttpRequest } from '../http/exchange.js';
import { createHttpHandler } from '../http/handler.js';
import { attempt } from '../ledger/testing/fixtures.js';
import { createObservability } from './index.js';
import type { SpanData } from './otlp.js';
import { capturing, spansOf, startCollector, type OtlpSpan } from './testing/collector.js';
import { Tracer } from './tracing.js';

/** UUID v4s shaped as `randomUUID` makes them (version 4, variant 10xx), from a fixed seed: the same ids every run. */
function seededUuids(count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const bytes = createHash('sha256').update(`request ${i}`).digest();
    bytes.writeUInt8((bytes.readUInt8(6) & 0x0f) | 0x40, 6);
    bytes.writeUInt8((bytes.readUInt8(8) & 0x3f) | 0x80, 8);
    const h = bytes.toString('hex', 0, 16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  });
}

describe('sample_ratio', () => {
  it("keeps about the ratio's share of in-process requests, whose trace id is their UUID v4 request id", async () => {
    const ids = seededUuids(4000);
    for (const ratio of [0.1, 0.25, 0.5, 0.75]) {
      const exported: SpanData[] = [];
      const tracer = new Tracer({ deployments: [], exporter: capturing(exported), sampleRatio: ratio, batchSize: 10_000, maxQueue: 10_000 });
      for (const requestId of ids) tracer.onAttempt(attempt({ requestId }));
      await tracer.close();
      // Fixed ids, so no run can be unlucky; 0.03 is also past four standard deviations of a binomial share at n = 4000.
      expect(Math.abs(exported.length / ids.length - ratio)).toBeLessThan(0.03);
    }
  });

  it('keeps none at 0 and all at 1', async () => {
    const ids = seededUuids(500);
    for (const ratio of [0, 1]) {
      const exported: SpanData[] = [];
      const tracer = new Tracer({ deployments: [], exporter: capturing(exported), sampleRatio: ratio, batchSize: 10_000, maxQueue: 10_000 });
      for (const requestId of ids) tracer.onAttempt(attempt({ requestId }));
      await tracer.close();
      expect(exported.length).toBe(ratio * ids.length);
    }
  });
});

describe("a client's sampled flag, through the HTTP handler", () => {
  const KEY = 'sk-user-sampling-test';
  const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
  const PARENT = '00f067aa0ba902b7';
  const open: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const close of open.splice(0)) await close();
  });

  /** The handler as `createApp` mounts observability in it, exporting to a local collector; `spans()` closes the tracer and reads what arrived. */
  async function traced(sampleRatio: number): Promise<{ handle: HttpHandler; spans(): Promise<OtlpSpan[]> }> {
    const collector = await startCollector();
    const config = resolveConfig(
      {
        deployments: [{ id: 'd0', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1' }],
        groups: [{ name: 'chat', deployments: ['d0'] }],
        api_keys: [{ id: 'user', key: KEY }],
        ledger: { enabled: false },
        observability: { tracing: { enabled: true, endpoint: collector.url, sample_ratio: sampleRatio } },
      },
      {},
    );
    const observability = await createObservability(config);
    const gateway: Gateway = createGateway(config, { observers: observability.observer ? [observability.observer] : [], tracing: observability.tracing });
    open.push(async () => {
      await gateway.close();
      await collector.close();
    });
    const handle = createHttpHandler(gateway, { startSpan: (start) => observability.startServerSpan(start) });
    return {
      handle,
      spans: async () => {
        await observability.close();
        return spansOf(collector.received);
      },
    };
  }

  const models = (headers: Record<string, string>): HttpRequest => ({
    method: 'GET',
    path: '/v1/models',
    query: '',
    headers: { traceparent: `00-${TRACE}-${PARENT}-01`, ...headers },
    body: undefined,
    signal: new AbortController().signal,
  });

  it('exports no span of a request without a valid key at sample_ratio 0, though its traceparent says sampled', async () => {
    const { handle, spans } = await traced(0);
    expect((await handle(models({}))).status).toBe(401);
    expect((await handle(models({ authorization: 'Bearer sk-not-a-key' }))).status).toBe(401);
    expect(await spans()).toEqual([]);
  });

  it("follows an authenticated caller's sampled flag at sample_ratio 0 (parent-based)", async () => {
    const { handle, spans } = await traced(0);
    expect((await handle(models({ authorization: `Bearer ${KEY}` }))).status).toBe(200);
    expect((await spans()).map((s) => [s.traceId, s.parentSpanId, s.name])).toEqual([[TRACE, PARENT, 'GET /v1/models']]);
  });

  it("lets the ratio decide for a request without a valid key, still in the client's trace", async () => {
    const { handle, spans } = await traced(1);
    expect((await handle(models({ traceparent: `00-${TRACE}-${PARENT}-00` }))).status).toBe(401);
    expect((await spans()).map((s) => [s.traceId, s.parentSpanId])).toEqual([[TRACE, PARENT]]);
  });
});
