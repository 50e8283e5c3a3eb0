import { request } from 'undici';
import type { Logger } from '../core/logger.js';
import type { Secret } from '../config/secret.js';
import { errorMessage } from '../core/error-trace.js';
import type { AttributeValue, SpanData, SpanExporter } from './otlp.js';
import { encodeSpanJson, jsonExportRequest, jsonHead } from './otlp-json.js';
import { encodeSpanProtobuf, protobufExportRequest, protobufHead } from './otlp-protobuf.js';

/** OTLP/HTTP's two encodings, named as `OTEL_EXPORTER_OTLP_PROTOCOL` names them. */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface OtlpExporterOptions {
  endpoint: string;
  protocol: OtlpProtocol;
  headers: Readonly<Record<string, Secret>>;
  timeoutMs: number;
  resource: Record<string, AttributeValue>;
  scope: { name: string; version?: string };
  logger: Logger;
}

/** Posts span batches to a collector over OTLP/HTTP, protobuf or JSON bodies; a failed batch is logged and dropped. */
export class OtlpHttpExporter implements SpanExporter<Uint8Array> {
  private readonly headers: Record<string, string>;
  readonly encode: (span: SpanData) => Uint8Array;
  private readonly request: (spans: readonly Uint8Array[]) => Buffer;

  constructor(private readonly o: OtlpExporterOptions) {
    if (o.protocol === 'http/protobuf') {
      const head = protobufHead(o.resource, o.scope);
      this.encode = encodeSpanProtobuf;
      this.request = (spans) => protobufExportRequest(spans, head);
    } else {
      const head = jsonHead(o.resource, o.scope);
      this.encode = encodeSpanJson;
      this.request = (spans) => jsonExportRequest(spans, head);
    }
    this.headers = { 'content-type': o.protocol === 'http/protobuf' ? 'application/x-protobuf' : 'application/json' };
    for (const [k, v] of Object.entries(o.headers)) this.headers[k.toLowerCase()] = v.reveal();
  }

  async export(spans: readonly Uint8Array[]): Promise<void> {
    try {
      const res = await request(this.o.endpoint, { method: 'POST', headers: this.headers, body: this.request(spans), signal: AbortSignal.timeout(this.o.timeoutMs) });
      await res.body.dump();
      if (res.statusCode >= 300) this.o.logger.warn({ status: res.statusCode, spans: spans.length }, 'trace export refused by the collector');
    } catch (err) {
      this.o.logger.warn({ err: errorMessage(err), spans: spans.length }, 'trace export failed');
    }
  }
}
