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

/** One attribute value as OTLP/JSON writes it (an `AnyValue`). */
function valueJson(v: AttributeValue): string {
  if (typeof v === 'string') return `{"stringValue":${JSON.stringify(v)}}`;
  if (typeof v === 'boolean') return v ? '{"boolValue":true}' : '{"boolValue":false}';
  // int64 as a decimal string; a double as JSON writes a number (a non-finite one as null).
  if (typeof v === 'number') return Number.isInteger(v) ? `{"intValue":"${v}"}` : `{"doubleValue":${JSON.stringify(v)}}`;
  if ('double' in v) return `{"doubleValue":${JSON.stringify(v.double)}}`;
  let out = '{"arrayValue":{"values":[';
  for (let i = 0; i < v.length; i++) out += `${i === 0 ? '' : ','}{"stringValue":${JSON.stringify(v[i])}}`;
  return `${out}]}}`;
}

/** `{"key":…,"value":` for each attribute name seen: a few dozen names, written for every span. */
const keyPrefixes = new Map<string, string>();
const MAX_KEY_PREFIXES = 1024;

function keyPrefix(key: string): string {
  let prefix = keyPrefixes.get(key);
  if (prefix === undefined) {
    prefix = `{"key":${JSON.stringify(key)},"value":`;
    if (keyPrefixes.size < MAX_KEY_PREFIXES) keyPrefixes.set(key, prefix);
  }
  return prefix;
}

function attributesJson(attrs: Record<string, AttributeValue | undefined>): string {
  let out = '[';
  for (const key in attrs) {
    const v = attrs[key];
    if (v !== undefined) out += `${out.length === 1 ? '' : ','}${keyPrefix(key)}${valueJson(v)}}`;
  }
  return `${out}]`;
}

/** Milliseconds since the epoch as the fixed64 nanoseconds OTLP/JSON writes as a decimal string. */
function nanos(ms: number): string {
  // Whole microseconds stay exact in a double until the year 2255; the last three digits are zeros.
  const us = Math.round(ms * 1000);
  return us === 0 ? '0' : `${us}000`;
}

function spanJson(s: SpanData): string {
  let out = `{"traceId":${JSON.stringify(s.traceId)},"spanId":${JSON.stringify(s.spanId)}`;
  if (s.traceState) out += `,"traceState":${JSON.stringify(s.traceState)}`;
  if (s.parentSpanId) out += `,"parentSpanId":${JSON.stringify(s.parentSpanId)}`;
  return `${out},"name":${JSON.stringify(s.name)},"kind":${s.kind},"startTimeUnixNano":"${nanos(s.startMs)}","endTimeUnixNano":"${nanos(s.endMs)}","attributes":${attributesJson(s.attributes)},"status":${JSON.stringify(s.status)}}`;
}

/**
 * The body of an OTLP/HTTP JSON `ExportTraceServiceRequest` (opentelemetry-proto JSON mapping: ids in
 * lowercase hex, not base64; int64 and fixed64 as decimal strings; enums as integers). Written as text
 * rather than built as objects for `JSON.stringify`: 2.4x faster a span (bench/README.md), and no
 * garbage but the string.
 */
export function encodeSpans(spans: readonly SpanData[], resource: Record<string, AttributeValue>, scope: { name: string; version?: string }): string {
  let out = `{"resourceSpans":[{"resource":{"attributes":${attributesJson(resource)}},"scopeSpans":[{"scope":${JSON.stringify(scope)},"spans":[`;
  for (let i = 0; i < spans.length; i++) out += `${i === 0 ? '' : ','}${spanJson(spans[i] as SpanData)}`;
  return `${out}]}]}]}`;
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
