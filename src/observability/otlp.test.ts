import { describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../core/events.js';
import { resolveConfig } from '../config/load.js';
import { SpanFlags, SpanKind, type AttributeValue, type SpanData, type SpanExporter } from './otlp.js';
import { encodeSpans } from './otlp-json.js';
import { Tracer } from './tracing.js';
import { decodeProtobufExport, type OtlpSpan, type OtlpValue } from './testing/collector.js';
import { encodeSpansProtobuf } from './otlp-protobuf.js';
import { attempt } from '../ledger/testing/fixtures.js';

/** Keeps what the tracer hands over, to encode it as the exporter would. */
class Captured implements SpanExporter {
  readonly spans: SpanData[] = [];

  encode(span: SpanData): SpanData {
    return span;
  }

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

/** The opentelemetry-proto JSON mapping of `AnyValue`, built as objects: what the encoder's text must parse to. */
function mappedValue(v: AttributeValue): unknown {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 2 ** 63 ? { intValue: BigInt(v).toString() } : { doubleValue: Number.isFinite(v) ? v : null };
  if ('double' in v) return { doubleValue: v.double };
  return { arrayValue: { values: v.map((s) => ({ stringValue: s })) } };
}

const mappedAttributes = (attrs: Record<string, AttributeValue | undefined>): unknown[] =>
  Object.entries(attrs).flatMap(([key, v]) => (v === undefined ? [] : [{ key, value: mappedValue(v) }]));

const awkward = 'quote " backslash \\ newline \n tab \t control \u0001 é 😀 </script>';

/** A server span and its client child with every value type, escapes, non-ASCII text and times to round. */
function spansForEncoding(): [SpanData, SpanData] {
  return [
    {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      parentSpanId: undefined,
      traceState: 'vendor=a,other=b',
      name: 'POST /v1/chat/completions',
      kind: SpanKind.SERVER,
      startMs: 1_733_350_000_000.123,
      endMs: 1_733_350_000_004.5,
      flags: SpanFlags.REMOTE_PARENT,
      attributes: { 'http.response.status_code': 200, 'url.path': awkward, [awkward]: true, off: false, gone: undefined, big: 2 ** 53 + 2, negative: -7, huge: 2 ** 70, empty: '' },
      status: { code: 0 },
    },
    {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b8',
      parentSpanId: '00f067aa0ba902b7',
      name: awkward,
      kind: SpanKind.CLIENT,
      startMs: 1_733_350_000_001,
      endMs: 1_733_350_000_003 + 0.9996, // rounds up to the next microsecond
      attributes: { 'gen_ai.request.temperature': { double: 1 }, 'gen_ai.request.top_p': 0.95, 'gen_ai.response.finish_reasons': ['stop', awkward], none: [], nan: Number.NaN },
      status: { code: 2, message: awkward },
    },
  ];
}

describe('encodeSpans writes the OTLP/JSON mapping of the spans as text', () => {
  const spans = spansForEncoding();

  it('parses to the mapping built as objects, every value type and escapes included', () => {
    const resource = { 'service.name': 'switchyard', 'service.version': '1.2.3' };
    const scope = { name: 'switchyard', version: '1.2.3' };
    expect(JSON.parse(encodeSpans(spans, resource, scope))).toEqual({
      resourceSpans: [
        {
          resource: { attributes: mappedAttributes(resource) },
          scopeSpans: [
            {
              scope,
              spans: spans.map((s) => ({
                traceId: s.traceId,
                spanId: s.spanId,
                ...(s.traceState ? { traceState: s.traceState } : {}),
                ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
                name: s.name,
                kind: s.kind,
                startTimeUnixNano: (BigInt(Math.round(s.startMs * 1000)) * 1000n).toString(),
                endTimeUnixNano: (BigInt(Math.round(s.endMs * 1000)) * 1000n).toString(),
                attributes: mappedAttributes(s.attributes),
                status: s.status,
                ...(s.flags !== undefined ? { flags: s.flags } : {}),
              })),
            },
          ],
        },
      ],
    });
  });

  it('writes an empty batch, and a time of zero as "0"', () => {
    expect(JSON.parse(encodeSpans([], {}, { name: 's' }))).toEqual({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 's' }, spans: [] }] }] });
    const zero = JSON.parse(encodeSpans([{ ...(spans[1] as SpanData), startMs: 0 }], {}, { name: 's' })) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
    expect(zero.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.startTimeUnixNano).toBe('0');
  });
});

describe('encodeSpansProtobuf writes the OTLP/HTTP protobuf body', () => {
  const resource = { 'service.name': 'switchyard', 'service.version': '1.2.3' };
  const scope = { name: 'switchyard', version: '1.2.3' };
  const [server, client] = spansForEncoding();

  it("decodes with opentelemetry-proto's schema to what the JSON encoding of the same spans says, every value type and escape included", () => {
    const spans = [server, client];
    expect(decodeProtobufExport(encodeSpansProtobuf(spans, resource, scope))).toEqual(JSON.parse(encodeSpans(spans, resource, scope)));
  });

  it('writes lengths past one byte, nested and outer, and batches past the buffer it starts with', () => {
    const long = 'x'.repeat(300) + 'é'.repeat(5000);
    const many = Array.from({ length: 3000 }, (_, i) => ({ ...client, spanId: i.toString(16).padStart(16, '0'), name: i % 2 ? long : client.name, attributes: { ...client.attributes, long } }));
    const body = encodeSpansProtobuf(many, resource, scope);
    expect(body.length).toBeGreaterThan(3000 * 5300);
    expect(decodeProtobufExport(body)).toEqual(JSON.parse(encodeSpans(many, resource, scope)));
  });

  it('writes an empty batch, a time of zero, an unset status and an int past 2^53 exactly', () => {
    const edge = { ...server, startMs: 0, status: { code: 0 as const }, attributes: { n: 2 ** 60, min: -(2 ** 63), zero: 0 } };
    for (const spans of [[], [edge]]) expect(decodeProtobufExport(encodeSpansProtobuf(spans, {}, { name: 's' }))).toEqual(JSON.parse(encodeSpans(spans, {}, { name: 's' })));
    const span = decodeProtobufExport(encodeSpansProtobuf([edge], {}, { name: 's' })).resourceSpans[0]?.scopeSpans[0]?.spans[0];
    expect(span?.attributes).toEqual([
      { key: 'n', value: { intValue: '1152921504606846976' } },
      { key: 'min', value: { intValue: '-9223372036854775808' } },
      { key: 'zero', value: { intValue: '0' } },
    ]);
  });
});
