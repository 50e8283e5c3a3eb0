import { request, type Dispatcher } from 'undici';
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
  /** A retry's wait when the collector names none, about this long (jittered); 1 s unless set. */
  retryBackoffMs?: number;
}

/** Posts span batches to a collector over OTLP/HTTP, protobuf or JSON bodies; a failed batch is logged and dropped. */
export class OtlpHttpExporter implements SpanExporter<Uint8Array> {
  private readonly headers: Record<string, string>;
  private readonly protobuf: boolean;
  private readonly backoffMs: number;
  readonly encode: (span: SpanData) => Uint8Array;
  private readonly request: (spans: readonly Uint8Array[]) => Buffer;

  constructor(private readonly o: OtlpExporterOptions) {
    this.protobuf = o.protocol === 'http/protobuf';
    this.backoffMs = o.retryBackoffMs ?? 1_000;
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

  /**
   * Sends one batch, retrying what the OTLP spec calls retryable (429, 502, 503, 504, and a collector
   * that could not be reached) after its `Retry-After` or a backoff, within `timeoutMs` for the whole
   * export and `MAX_ATTEMPTS` tries: a collector restarting loses no batch. Anything else is logged and
   * dropped. Never rejects (`SpanExporter`): its caller runs off the request path, where a rejection would end the process.
   */
  async export(spans: readonly Uint8Array[]): Promise<void> {
    try {
      await this.exportTried(spans);
    } catch (err) {
      this.o.logger.warn({ err: errorMessage(err), spans: spans.length }, 'trace export failed');
    }
  }

  private async exportTried(spans: readonly Uint8Array[]): Promise<void> {
    const body = this.request(spans);
    const deadline = Date.now() + this.o.timeoutMs;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.send(body, spans.length, Math.max(1, deadline - Date.now()));
      if (outcome.retryAfterMs === undefined) return;
      if (attempt >= MAX_ATTEMPTS || outcome.retryAfterMs >= deadline - Date.now()) {
        this.o.logger.warn({ ...outcome.log, spans: spans.length, attempts: attempt }, outcome.message);
        return;
      }
      await sleep(outcome.retryAfterMs);
    }
  }

  /** One try: done (undefined retry) or retryable, with what to log if no retry is left. */
  private async send(body: Buffer, count: number, timeoutMs: number): Promise<Try> {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(this.o.endpoint, { method: 'POST', headers: this.headers, body, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      return { retryAfterMs: backoff(this.backoffMs), log: { err: errorMessage(err) }, message: 'trace export failed' };
    }
    if (res.statusCode >= 300) {
      await res.body.dump();
      const retryable = RETRYABLE.has(res.statusCode);
      if (retryable) return { retryAfterMs: retryAfter(res.headers['retry-after']) ?? backoff(this.backoffMs), log: { status: res.statusCode }, message: 'trace export refused by the collector' };
      this.o.logger.warn({ status: res.statusCode, spans: count }, 'trace export refused by the collector');
      return {};
    }
    let answer: Uint8Array;
    try {
      answer = await answerBytes(res.body);
    } catch {
      // A 2xx whose body stalls past the timeout or is cut off: the collector took the batch, and there is
      // no partial success to read; sending it again would duplicate the spans.
      return {};
    }
    const partial = partialSuccess(answer, this.protobuf);
    // Not retried, as the spec has it: the collector took the rest. Its words are scrubbed and cut.
    if (partial) this.o.logger.warn({ rejected: partial.rejectedSpans, spans: count, reason: scrubUpstreamText(partial.errorMessage) }, 'trace export partly refused by the collector');
    return {};
  }
}

/** One try's outcome: done (no `retryAfterMs`), or retryable after that long, with its warning should no try be left. */
interface Try {
  retryAfterMs?: number;
  log?: Record<string, unknown>;
  message?: string;
}

/** The statuses OTLP/HTTP has a client retry (the collector or a proxy in front of it is busy or restarting). */
const RETRYABLE = new Set([429, 502, 503, 504]);
const MAX_ATTEMPTS = 3;

/** A retry's wait when the collector named none: about `base`, jittered so replicas do not retry in step. */
const backoff = (base: number): number => base * (0.5 + Math.random());

/** `Retry-After` in milliseconds: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfter(header: string | string[] | undefined): number | undefined {
  if (typeof header !== 'string') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  // An HTTP date names its day or month; Date.parse alone would read `-1` as the year -1.
  const at = /[A-Za-z]/.test(header) ? Date.parse(header) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** A wait that does not keep a process that is otherwise done alive (shutdown's own deadline bounds it). */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
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
