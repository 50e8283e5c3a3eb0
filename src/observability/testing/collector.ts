import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { expect } from 'vitest';
import type { SpanData, SpanExporter } from '../otlp.js';

export interface OtlpValue {
  stringValue?: string;
  intValue?: string;
  boolValue?: boolean;
  doubleValue?: number;
}
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  traceState?: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Array<{ key: string; value: OtlpValue }>;
  status: { code: number; message?: string };
  flags?: number;
}
export interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: { resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: OtlpValue }> }; scopeSpans: Array<{ scope: { name: string }; spans: OtlpSpan[] }> }> };
}

const PROTO_DIR = fileURLToPath(new URL('./proto/', import.meta.url));

/** opentelemetry-proto's `ExportTraceServiceRequest`, loaded from the project's own .proto files (proto/README.md). */
const exportRequest = (() => {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(PROTO_DIR, target);
  root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto');
  return root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
})();

const hex = (bytes: unknown): string | undefined => (bytes instanceof Uint8Array && bytes.length > 0 ? Buffer.from(bytes).toString('hex') : undefined);

/**
 * An OTLP/HTTP protobuf body decoded with the official schema, as its JSON mapping (ids in hex, 64-bit
 * integers as decimal strings, enums as numbers; NaN as null, as JSON has it): what the JSON encoding of
 * the same spans parses to.
 */
export function decodeProtobufExport(body: Uint8Array): Received['body'] {
  const message = exportRequest.decode(body);
  const o = exportRequest.toObject(message, { longs: String, enums: Number, arrays: true }) as {
    resourceSpans: Array<{ resource?: { attributes: unknown[] }; scopeSpans: Array<{ scope?: { name: string; version?: string }; spans: Array<Record<string, unknown>> }> }>;
  };
  const mapped = {
    resourceSpans: o.resourceSpans.map((rs) => ({
      resource: { attributes: rs.resource?.attributes ?? [] },
      scopeSpans: rs.scopeSpans.map((ss) => ({
        scope: ss.scope && { name: ss.scope.name, ...(ss.scope.version ? { version: ss.scope.version } : {}) },
        spans: ss.spans.map((s) => {
          const status = (s.status ?? {}) as { code?: number; message?: string };
          return {
            traceId: hex(s.traceId),
            spanId: hex(s.spanId),
            ...(s.traceState ? { traceState: s.traceState } : {}),
            ...(hex(s.parentSpanId) ? { parentSpanId: hex(s.parentSpanId) } : {}),
            name: s.name ?? '',
            kind: s.kind,
            startTimeUnixNano: s.startTimeUnixNano ?? '0',
            endTimeUnixNano: s.endTimeUnixNano ?? '0',
            attributes: s.attributes,
            status: { code: status.code ?? 0, ...(status.message ? { message: status.message } : {}) },
            ...(s.flags ? { flags: s.flags } : {}),
          };
        }),
      })),
    })),
  };
  return JSON.parse(JSON.stringify(mapped)) as Received['body'];
}

/** What the collector answers an export with: its status (200 unless said), headers, content type and body. */
export type Answer = (protobuf: boolean) => { status?: number; headers?: Record<string, string>; type: string; body: Uint8Array | string };

/** opentelemetry-proto's `ExportTraceServiceResponse` encoded by protobufjs: a collector's own answer. */
export function protobufAnswer(partialSuccess: { rejectedSpans: number; errorMessage: string }): Uint8Array {
  const type = exportRequest.root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
  return type.encode(type.fromObject({ partialSuccess })).finish();
}

/** A fake OTLP/HTTP collector on loopback: decodes every export it receives, protobuf (the default) or JSON. */
export async function startCollector(options: { answer?: Answer } = {}): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      expect(req.method).toBe('POST');
      expect(req.url).toBe('/v1/traces');
      const body = Buffer.concat(chunks);
      const type = req.headers['content-type'];
      expect(['application/x-protobuf', 'application/json']).toContain(type);
      received.push({ headers: req.headers, body: type === 'application/json' ? (JSON.parse(body.toString('utf8')) as Received['body']) : decodeProtobufExport(body) });
      const answer = options.answer?.(type === 'application/x-protobuf') ?? { type: 'application/json', body: '{}' };
      res.writeHead(answer.status ?? 200, { ...answer.headers, 'content-type': answer.type }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/traces`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** An attribute's value as a plain JS value. */
export const attr = (span: OtlpSpan, key: string): string | number | boolean | undefined => {
  const v = span.attributes.find((a) => a.key === key)?.value;
  if (!v) return undefined;
  return v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.doubleValue));
};


/** Every span the collector received so far. */
export function spansOf(received: readonly Received[]): OtlpSpan[] {
  return received.flatMap((r) => r.body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
}

/** An exporter keeping the spans as the tracer made them, unencoded, in `into`. */
export function capturing(into: SpanData[]): SpanExporter {
  return { encode: (span) => span, export: async (spans) => void into.push(...spans) };
}
