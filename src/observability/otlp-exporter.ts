import { request } from 'undici';
import type { Logger } from '../core/logger.js';
import type { Secret } from '../config/secret.js';
import { errorMessage } from '../core/error-trace.js';
import { scrubUpstreamText } from '../core/scrub.js';
import type { AttributeValue, SpanData, SpanExporter } from './otlp.js';
import { encodeSpanJson, jsonExportRequest, jsonHead } from './otlp-json.js';
import { encodeSpanProtobuf, protobufExportRequest, protobufHead } from './otlp-protobuf.js';
import { MAX_ANSWER_BYTES, partialSuccess } from './otlp-response.js';

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
  private readonly protobuf: boolean;
  readonly encode: (span: SpanData) => Uint8Array;
  private readonly request: (spans: readonly Uint8Array[]) => Buffer;

  constructor(private readonly o: OtlpExporterOptions) {
    this.protobuf = o.protocol === 'http/protobuf';
    if (this.protobuf) {
      const head = protobufHead(o.resource, o.scope);
      this.encode = encodeSpanProtobuf;
      this.request = (spans) => protobufExportRequest(spans, head);
    } else {
      const head = jsonHead(o.resource, o.scope);
      this.encode = encodeSpanJson;
      this.request = (spans) => jsonExportRequest(spans, head);
    }
    this.headers = { 'content-type': this.protobuf ? 'application/x-protobuf' : 'application/json' };
    for (const [k, v] of Object.entries(o.headers)) this.headers[k.toLowerCase()] = v.reveal();
  }

  async export(spans: readonly Uint8Array[]): Promise<void> {
    try {
      const res = await request(this.o.endpoint, { method: 'POST', headers: this.headers, body: this.request(spans), signal: AbortSignal.timeout(this.o.timeoutMs) });
      if (res.statusCode >= 300) {
        await res.body.dump();
        this.o.logger.warn({ status: res.statusCode, spans: spans.length }, 'trace export refused by the collector');
        return;
      }
      const partial = partialSuccess(await answerBytes(res.body), this.protobuf);
      // Not retried, as the spec has it: the collector took the rest. Its words are scrubbed and cut.
      if (partial) this.o.logger.warn({ rejected: partial.rejectedSpans, spans: spans.length, reason: scrubUpstreamText(partial.errorMessage) }, 'trace export partly refused by the collector');
    } catch (err) {
      this.o.logger.warn({ err: errorMessage(err), spans: spans.length }, 'trace export failed');
    }
  }
}

/** An answer's first `MAX_ANSWER_BYTES`; the rest is not waited for (a collector has no more to say). */
async function answerBytes(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    length += chunk.byteLength;
    // Leaving the loop destroys the body (and undici the connection it was still reading).
    if (length >= MAX_ANSWER_BYTES) break;
  }
  return Buffer.concat(chunks, Math.min(length, MAX_ANSWER_BYTES));
}
