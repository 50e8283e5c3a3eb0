import { isInt64, type AttributeValue, type SpanData } from './otlp.js';

/** One attribute value as OTLP/JSON writes it (an `AnyValue`). */
function valueJson(v: AttributeValue): string {
  if (typeof v === 'string') return `{"stringValue":${JSON.stringify(v)}}`;
  if (typeof v === 'boolean') return v ? '{"boolValue":true}' : '{"boolValue":false}';
  // int64 as a decimal string; a double as JSON writes a number (a non-finite one as null).
  // Past 2^53 a number's shortest decimal is not its exact value (2^60 prints as 1152921504606847000).
  if (typeof v === 'number') return isInt64(v) ? `{"intValue":"${Number.isSafeInteger(v) ? v : BigInt(v)}"}` : `{"doubleValue":${JSON.stringify(v)}}`;
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
  return `${out},"name":${JSON.stringify(s.name)},"kind":${s.kind},"startTimeUnixNano":"${nanos(s.startMs)}","endTimeUnixNano":"${nanos(s.endMs)}","attributes":${attributesJson(s.attributes)},"status":${JSON.stringify(s.status)}${s.flags === undefined ? '' : `,"flags":${s.flags}`}}`;
}

/**
 * One span's OTLP/JSON as bytes, encoded as it ends (see `encodeSpanProtobuf`). Written as text rather
 * than built as objects for `JSON.stringify`: 2.4x faster a span (bench/README.md).
 */
export function encodeSpanJson(s: SpanData): Uint8Array {
  return Buffer.from(spanJson(s));
}

const COMMA = Buffer.from(',');
const TAIL = Buffer.from(']}]}]}');

/** What every batch starts with: the resource and scope, up to the spans' array. */
export function jsonHead(resource: Record<string, AttributeValue>, scope: { name: string; version?: string }): Uint8Array {
  return Buffer.from(`{"resourceSpans":[{"resource":{"attributes":${attributesJson(resource)}},"scopeSpans":[{"scope":${JSON.stringify(scope)},"spans":[`);
}

/** The body of an OTLP/HTTP JSON export of spans `encodeSpanJson` encoded. */
export function jsonExportRequest(spans: readonly Uint8Array[], head: Uint8Array): Buffer {
  const parts: Uint8Array[] = [head];
  for (let i = 0; i < spans.length; i++) {
    if (i > 0) parts.push(COMMA);
    parts.push(spans[i] as Uint8Array);
  }
  parts.push(TAIL);
  return Buffer.concat(parts);
}

/**
 * A batch encoded at once, as the exporter's steps would (specs): the text of an OTLP/HTTP JSON
 * `ExportTraceServiceRequest` (opentelemetry-proto JSON mapping: ids in lowercase hex, not base64;
 * int64 and fixed64 as decimal strings; enums as integers).
 */
export function encodeSpans(spans: readonly SpanData[], resource: Record<string, AttributeValue>, scope: { name: string; version?: string }): string {
  return jsonExportRequest(spans.map(encodeSpanJson), jsonHead(resource, scope)).toString('utf8');
}
