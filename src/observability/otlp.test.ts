import { describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../core/events.js';
import { resolveConfig } from '../config/load.js';
import { encodeSpans, type SpanData, type SpanExporter } from './otlp.js';
import { Tracer } from './tracing.js';
import type { OtlpSpan, OtlpValue } from './testing/collector.js';
import { attempt } from '../ledger/testing/fixtures.js';

/** Keeps what the tracer hands over, to encode it as the exporter would. */
class Captured implements SpanExporter {
  readonly spans: SpanData[] = [];

  async export(spans: readonly SpanData[]): Promise<void> {
    this.spans.push(...spans);
  }
}

const config = resolveConfig({ deployments: [{ id: 'd1', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: 'https://llm.example.com/v1' }] }, {});

/** The OTLP/JSON of the attempt span the tracer exports for `params`. */
async function encodedAttempt(params: AttemptRecord['params'], ttftMs?: number): Promise<OtlpSpan> {
  const exporter = new Captured();
  const tracer = new Tracer({ deployments: config.deployments, exporter, sampleRatio: 1 });
  tracer.onAttempt(attempt({ deployment: 'd1', provider: 'openai-compatible', region: undefined, startedAt: 1_700_000_000_000, usage: undefined, tags: {}, params, ttftMs }));
  await tracer.close();
  const body = JSON.parse(encodeSpans(exporter.spans, { 'service.name': 'test' }, { name: 'switchyard' })) as {
    resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
  };
  const span = body.resourceSpans[0]?.scopeSpans[0]?.spans[0];
  if (!span) throw new Error('no span exported');
  return span;
}

const valueOf = (span: OtlpSpan, key: string): OtlpValue | undefined => span.attributes.find((a) => a.key === key)?.value;

describe('OTLP/JSON encoding of attempt spans', () => {
  it('sends temperature and top_p as doubles even when the client sent whole numbers, as the conventions type them', async () => {
    const span = await encodedAttempt({ maxTokens: 50, temperature: 1, topP: 0 });
    expect(valueOf(span, 'gen_ai.request.temperature')).toEqual({ doubleValue: 1 });
    expect(valueOf(span, 'gen_ai.request.top_p')).toEqual({ doubleValue: 0 });
    // An int attribute of the conventions stays an int64, written as a decimal string.
    expect(valueOf(span, 'gen_ai.request.max_tokens')).toEqual({ intValue: '50' });
  });

  it('sends a fractional temperature as the same double type, so a backend sees one type per attribute', async () => {
    const span = await encodedAttempt({ maxTokens: undefined, temperature: 0.7, topP: 0.95 });
    expect(valueOf(span, 'gen_ai.request.temperature')).toEqual({ doubleValue: 0.7 });
    expect(valueOf(span, 'gen_ai.request.top_p')).toEqual({ doubleValue: 0.95 });
    expect(valueOf(span, 'gen_ai.request.max_tokens')).toBeUndefined();
  });

  it("records a stream's time to first chunk as the conventions' gen_ai.response.time_to_first_chunk, a double in seconds", async () => {
    const span = await encodedAttempt(undefined, 2000);
    expect(valueOf(span, 'gen_ai.response.time_to_first_chunk')).toEqual({ doubleValue: 2 });
    expect(valueOf(await encodedAttempt(undefined), 'gen_ai.response.time_to_first_chunk')).toBeUndefined();
  });

  it('writes ids in lowercase hex and times as nanosecond decimal strings', async () => {
    const span = await encodedAttempt(undefined);
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(span.startTimeUnixNano).toBe('1700000000000000000');
    expect(span.endTimeUnixNano).toBe('1700000000120000000');
  });
});
