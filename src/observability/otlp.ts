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
  /** OTLP `Span.flags` (`SpanFlags`); left out of the export when undefined. */
  flags?: number | undefined;
}

/**
 * OTLP `Span.flags` of an exported span: the W3C trace flags in bits 0-7 (sampled, as only sampled spans
 * are exported), bit 8 saying whether the parent is remote is known (it always is here), bit 9 that it
 * is: a client's `traceparent` parents the server span; every other parent is in this process.
 */
export const SpanFlags = { LOCAL_PARENT: 0x101, REMOTE_PARENT: 0x301 } as const;

/** OTLP `Span.SpanKind` values. */
export const SpanKind = { INTERNAL: 1, SERVER: 2, CLIENT: 3 } as const;
export type SpanKind = (typeof SpanKind)[keyof typeof SpanKind];

/**
 * Sends finished spans somewhere, in its own form. `encode` runs as each span ends, so what waits in
 * the queue for its batch is that form (bytes), not the span's objects: those, kept until a batch filled
 * and its export answered, outlived young-generation GCs and were promoted (bench/README.md). `export`
 * sends a batch and never rejects (a failed export is the exporter's to report).
 */
export interface SpanExporter<Encoded = SpanData> {
  encode(span: SpanData): Encoded;
  export(batch: readonly Encoded[]): Promise<void>;
}

/** Whether a number goes out as an int64: whole and in range (past it, a double rather than wrapped or written as `1e+21`). */
export function isInt64(v: number): boolean {
  return Number.isInteger(v) && v >= -INT64_LIMIT && v < INT64_LIMIT;
}

const INT64_LIMIT = 2 ** 63;
