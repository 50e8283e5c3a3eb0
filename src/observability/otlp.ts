import { request } from 'undici';
import type { Logger } from '../core/logger.js';
import type { Secret } from '../config/secret.js';
import { errorMessage } from '../core/error-trace.js';

/**
 * A number OTLP carries as a double whatever its value: an attribute the conventions type `double`
 * (temperature, top_p) must not turn into an int when the client sent `1`, or backends split it in two.
 */
export interface Double {
  readonly double: number;
}

/** A plain number is an int when it is whole, a double otherwise; `Double` is always a double. */
export type AttributeValue = string | number | boolean | readonly string[] | Double;

/** A finished span, as the tracer hands it to an exporter. */
export interface SpanData {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  /** The W3C `tracestate` the span's context carries (the client's, validated). */
  traceState?: string | undefined;
  name: string;
  kind: SpanKind;
  startMs: number;
  endMs: number;
  attributes: Record<string, AttributeValue | undefined>;
  /** OTLP status: 0 unset, 1 ok, 2 error. */
  status: { code: 0 | 1 | 2; message?: string };
}

/** OTLP `Span.SpanKind` values. */
export const SpanKind = { INTERNAL: 1, SERVER: 2, CLIENT: 3 } as const;
export type SpanKind = (typeof SpanKind)[keyof typeof SpanKind];

/** Sends finished spans somewhere; never rejects (a failed export is the exporter's to report). */
export interface SpanExporter {
  export(spans: readonly SpanData[]): Promise<void>;
}

type OtlpValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean } | { arrayValue: { values: OtlpValue[] } };

function toValue(v: AttributeValue): OtlpValue {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if ('double' in v) return { doubleValue: v.double };
  return { arrayValue: { values: v.map((s) => ({ stringValue: s })) } };
}

function toAttributes(attrs: Record<string, AttributeValue | undefined>): Array<{ key: string; value: OtlpValue }> {
  const out: Array<{ key: string; value: OtlpValue }> = [];
  for (const key in attrs) {
    const v = attrs[key];
    if (v !== undefined) out.push({ key, value: toValue(v) });
  }
  return out;
}

/** Milliseconds since the epoch as the fixed64 nanoseconds OTLP/JSON writes as a decimal string. */
function nanos(ms: number): string {
  return (BigInt(Math.round(ms * 1000)) * 1000n).toString();
}

/**
 * The body of an OTLP/HTTP JSON `ExportTraceServiceRequest` (opentelemetry-proto JSON mapping: ids in
 * lowercase hex, not base64; int64 and fixed64 as decimal strings; enums as integers).
 */
export function encodeSpans(spans: readonly SpanData[], resource: Record<string, AttributeValue>, scope: { name: string; version?: string }): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: toAttributes(resource) },
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
              startTimeUnixNano: nanos(s.startMs),
              endTimeUnixNano: nanos(s.endMs),
              attributes: toAttributes(s.attributes),
              status: s.status,
            })),
          },
        ],
      },
    ],
  });
}

export interface OtlpExporterOptions {
  endpoint: string;
  headers: Readonly<Record<string, Secret>>;
  timeoutMs: number;
  resource: Record<string, AttributeValue>;
  scope: { name: string; version?: string };
  logger: Logger;
}

/** Posts span batches to a collector over OTLP/HTTP with JSON bodies; a failed batch is logged and dropped. */
export class OtlpHttpExporter implements SpanExporter {
  private readonly headers: Record<string, string>;

  constructor(private readonly o: OtlpExporterOptions) {
    this.headers = { 'content-type': 'application/json' };
    for (const [k, v] of Object.entries(o.headers)) this.headers[k.toLowerCase()] = v.reveal();
  }

  async export(spans: readonly SpanData[]): Promise<void> {
    try {
      const res = await request(this.o.endpoint, {
        method: 'POST',
        headers: this.headers,
        body: encodeSpans(spans, this.o.resource, this.o.scope),
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
      await res.body.dump();
      if (res.statusCode >= 300) this.o.logger.warn({ status: res.statusCode, spans: spans.length }, 'trace export refused by the collector');
    } catch (err) {
      this.o.logger.warn({ err: errorMessage(err), spans: spans.length }, 'trace export failed');
    }
  }
}
