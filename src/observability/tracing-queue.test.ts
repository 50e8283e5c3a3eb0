import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../core/logger.js';
import type { SpanData, SpanExporter } from './otlp.js';
import { Tracer, type TracerOptions } from './tracing.js';

/** A collector that takes the connection and never answers until told to recover. */
class StalledCollector implements SpanExporter {
  readonly batches: Array<readonly SpanData[]> = [];
  inFlight = 0;
  maxInFlight = 0;
  private answering = false;
  private readonly pending: Array<() => void> = [];

  encode(span: SpanData): SpanData {
    return span;
  }

  export(spans: readonly SpanData[]): Promise<void> {
    this.batches.push(spans);
    if (this.answering) return Promise.resolve();
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise((resolve) => {
      this.pending.push(() => {
        this.inFlight -= 1;
        resolve();
      });
    });
  }

  /** Answers what is pending and everything from now on. */
  recover(): void {
    this.answering = true;
    for (const answer of this.pending.splice(0)) answer();
  }

  requestIds(from: number): unknown[] {
    return this.batches.slice(from).flatMap((b) => b.map((s) => s.attributes['switchyard.request_id']));
  }
}

function recordingLogger(): Logger & { warnings: Array<Record<string, unknown>> } {
  const warnings: Array<Record<string, unknown>> = [];
  const logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (obj: object) => void warnings.push({ ...obj }), child: () => logger, warnings };
  return logger;
}

function tracerFor(exporter: SpanExporter, options: Partial<TracerOptions>): Tracer {
  return new Tracer({ deployments: [], exporter, sampleRatio: 1, batchSize: 10, maxQueue: 100, ...options });
}

/** Ends `count` sampled SERVER spans, named req-{from}..; the tracer's timer is mimicked by a flush every 50. */
function endRequests(tracer: Tracer, from: number, count: number): void {
  for (let i = from; i < from + count; i += 1) {
    const requestId = `req-${i}`;
    tracer.startServerSpan({ method: 'POST', route: '/v1/chat/completions', path: '/v1/chat/completions', scheme: 'http', headers: {}, requestId });
    tracer.endServerSpan(requestId, 200, undefined, undefined);
    if ((i - from + 1) % 50 === 0) void tracer.flush();
  }
}

/** On a fake clock, a tracer whose collector answers at once, after 25 requests ended. */
function answeredAfter25(options: Partial<TracerOptions>): { collector: StalledCollector; tracer: Tracer } {
  vi.useFakeTimers();
  const collector = new StalledCollector();
  collector.recover();
  const tracer = tracerFor(collector, options);
  endRequests(tracer, 1, 25);
  return { collector, tracer };
}

/** Lets pending promise callbacks (exports started behind others) run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('span queue against a slow or unreachable collector', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps one export in flight while the collector never answers: waiting spans stay within maxQueue, the oldest are dropped, counted and logged', async () => {
    const collector = new StalledCollector();
    const logger = recordingLogger();
    const tracer = tracerFor(collector, { logger });

    endRequests(tracer, 0, 1000);
    await settle();

    // 10 in the export in flight, 100 waiting: the other 890 were dropped, not chained behind it.
    expect(tracer.dropped).toBe(890);
    expect(collector.batches).toHaveLength(1);
    expect(collector.batches[0]).toHaveLength(10);

    collector.recover();
    await tracer.flush();
    expect(collector.requestIds(1)).toEqual(Array.from({ length: 100 }, (_, i) => `req-${900 + i}`));
    expect(collector.maxInFlight).toBe(1);
    expect(logger.warnings).toEqual([expect.objectContaining({ dropped: 890, droppedTotal: 890 })]);
    await tracer.close();
  });

  it('sends the spans that waited, one batch at a time, once the export in flight returns', async () => {
    const collector = new StalledCollector();
    const tracer = tracerFor(collector, {});
    endRequests(tracer, 1, 35);
    void tracer.flush();
    await settle();
    expect(collector.batches).toHaveLength(1);

    collector.recover();
    await tracer.flush();
    expect(collector.batches.map((b) => b.length)).toEqual([10, 10, 10, 5]);
    expect(tracer.dropped).toBe(0);
    await tracer.close();
  });

  it('sends full batches as the queue fills them, and what is left of one only when the timer (or close) flushes', async () => {
    const { collector, tracer } = answeredAfter25({ flushIntervalMs: 1_000 });
    await vi.advanceTimersByTimeAsync(0);
    expect(collector.batches.map((b) => b.length)).toEqual([10, 10]);
    await vi.advanceTimersByTimeAsync(999);
    expect(collector.batches.map((b) => b.length)).toEqual([10, 10]);
    await vi.advanceTimersByTimeAsync(1);
    expect(collector.batches.map((b) => b.length)).toEqual([10, 10, 5]);
    await tracer.close();
  });

  it('drops and counts a span its exporter cannot encode, and goes on: an observer on the request path never throws', async () => {
    const collector = new StalledCollector();
    collector.recover();
    let failing = true;
    const tracer = tracerFor(collector, {});
    const encode = collector.encode.bind(collector);
    collector.encode = (span) => {
      if (failing) throw new Error('cannot encode');
      return encode(span);
    };
    expect(() => endRequests(tracer, 1, 3)).not.toThrow();
    failing = false;
    endRequests(tracer, 4, 2);
    await tracer.close();
    expect(tracer.dropped).toBe(3);
    expect(collector.requestIds(0)).toEqual(['req-4', 'req-5']);
  });

  it('resolves close within its deadline when the collector never answers, dropping and counting what was left', async () => {
    vi.useFakeTimers();
    const collector = new StalledCollector();
    const logger = recordingLogger();
    const tracer = tracerFor(collector, { closeTimeoutMs: 5_000, logger });
    endRequests(tracer, 1, 25);
    let closed = false;
    void tracer.close().then(() => {
      closed = true;
    });

    await vi.advanceTimersByTimeAsync(4_999);
    expect(closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(closed).toBe(true);
    // The first batch of 10 is the exporter's (its own timeout reports it); the 15 never sent are dropped.
    expect(tracer.dropped).toBe(15);
    expect(logger.warnings).toEqual([expect.objectContaining({ dropped: 15, droppedTotal: 15 })]);
  });

  it('closes as soon as everything is sent when the collector answers', async () => {
    const { collector, tracer } = answeredAfter25({ closeTimeoutMs: 5_000 });
    await tracer.close();
    expect(collector.batches.flat()).toHaveLength(25);
    expect(tracer.dropped).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('drops and counts a batch whose export rejects, warns once, and goes on: no rejection reaches the process unhandled', async () => {
    const logger = recordingLogger();
    let exports = 0;
    const failing: SpanExporter = {
      encode: (span) => span,
      export: async () => {
        exports += 1;
        throw new Error('collector socket closed');
      },
    };
    // Batches of 10: the 10th and 20th spans start exports from the request path, the flush the last 5.
    const tracer = tracerFor(failing, { logger, flushIntervalMs: 10 });
    endRequests(tracer, 1, 25);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(tracer.flush()).resolves.toBeUndefined();
    await tracer.close();
    expect(exports).toBe(3);
    expect(tracer.dropped).toBe(25);
    expect(logger.warnings.filter((w) => w.err !== undefined)).toEqual([{ err: 'collector socket closed' }]);
    expect(logger.warnings.at(-1)).toMatchObject({ droppedTotal: 25 });
  });
});
