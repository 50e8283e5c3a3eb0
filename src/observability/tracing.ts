import type { AttemptObserver, AttemptRecord, AttemptSpan, AttemptTracing } from '../core/events.js';
import type { DeploymentConfig } from '../config/schema.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { errorMessage } from '../core/error-trace.js';
import { spanId, traceId } from './ids.js';
import { serverOf, type Server } from './genai.js';
import { attemptSpan, cacheHitSpan } from './attempt-span.js';
import { applicationRoot, httpMethod, protocolVersion, serverOfHost } from './http-server.js';
import { SpanFlags, SpanKind, type SpanData, type SpanExporter } from './otlp.js';
import { formatTraceparent, parseTraceparent, type TraceContext } from './traceparent.js';
import { parseTracestate } from './tracestate.js';
import { sampledByRatio } from './sampling.js';

/** What the HTTP layer knows of a request when it starts, as plain values. */
export interface ServerSpanStart {
  method: string;
  /** The route template (`/v1/chat/completions`), never a raw path with ids in it; the span puts the application root in front. */
  route: string;
  /** The path routed on, without its query string: what `originalPath` has in front of it is the application root. Never exported: it holds whatever the client typed. */
  path: string;
  /** The path as the client sent it, when its runtime routes on another (`HttpRequest.originalPath`): what is in front of `path` is the application root. */
  originalPath?: string | undefined;
  /** How the client reached the gateway, as its runtime knows it (`HttpRequest.scheme`). */
  scheme: 'http' | 'https';
  /** The HTTP version the client spoke, as its runtime reports it (`HttpRequest.httpVersion`); undefined when unknown. */
  httpVersion?: string | undefined;
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  requestId: string;
}

export interface TracerOptions<Encoded = SpanData> {
  deployments: readonly DeploymentConfig[];
  exporter: SpanExporter<Encoded>;
  sampleRatio: number;
  now?: () => number;
  /** Spans queued before a batch is sent at once (otherwise every `flushIntervalMs`). */
  batchSize?: number;
  flushIntervalMs?: number;
  /** Spans waiting past this many drop the oldest (a collector that is down must not grow memory). */
  maxQueue?: number;
  /** How long `close()` keeps exporting before it drops what is left (default 10 s, the export timeout). */
  closeTimeoutMs?: number;
  /** Where dropped spans are reported. */
  logger?: Logger;
  /**
   * Longest string attribute value exported, in UTF-16 units (`DEFAULT_ATTRIBUTE_VALUE_LENGTH_LIMIT`): a
   * longer one, or a longer string in a list, is cut to it, as the OpenTelemetry SDKs' `attributeValueLengthLimit`
   * (`OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`) cuts, though never between a surrogate pair's halves.
   */
  attributeValueLengthLimit?: number;
}

/**
 * 1024: a User-Agent, a Host or an upstream's response id is far shorter, while an anonymous caller's 15 KB
 * header, kept whole, made each of the 8,192 queued spans ~14 KB (~126 MB a process) and each export MBs.
 */
export const DEFAULT_ATTRIBUTE_VALUE_LENGTH_LIMIT = 1024;

interface OpenServerSpan {
  ctx: TraceContext;
  parentSpanId: string | undefined;
  /** The client's `tracestate`, validated: passed on upstream and recorded on the request's spans. */
  traceState: string | undefined;
  startMs: number;
  start: ServerSpanStart;
}

/** A header's value when it came as one string (node:http gives only set-cookie as an array). */
const stringHeader = (value: string | readonly string[] | undefined): string | undefined => (typeof value === 'string' ? value : undefined);

/** `text` cut to `limit` UTF-16 units as OpenTelemetry's SDKs cut it, one less where that would split a surrogate pair. */
function truncated(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const last = text.charCodeAt(limit - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? limit - 1 : limit);
}

/**
 * The span's string attributes (and strings in lists) cut to `limit`, in place: the server span's come
 * from the request's headers (`user_agent.original`, `server.address`, `http.request.method_original`),
 * an attempt's partly from the upstream's answer (`gen_ai.response.id`, `gen_ai.response.model`). A
 * length check per attribute; a copy only of what is cut.
 */
function limitAttributes(attributes: SpanData['attributes'], limit: number): void {
  for (const name in attributes) {
    const value = attributes[name];
    if (typeof value === 'string') {
      if (value.length > limit) attributes[name] = truncated(value, limit);
    } else if (Array.isArray(value) && value.some((v: string) => v.length > limit)) {
      attributes[name] = value.map((v: string) => truncated(v, limit));
    }
  }
}

/** A `double` attribute of the conventions, kept a double in OTLP even when whole (temperature 1). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The error kind the handler's authentication refuses a request with (src/http/auth.ts), before its route runs. */
const UNAUTHENTICATED = 'unauthenticated';
/** The error kind of a client that went away (`core/errors.ts`, answered 499 when it left before its status line). */
const CANCELLED = 'cancelled';


/**
 * One SERVER span per client request and one CLIENT span per upstream attempt, its child (so retries
 * and fallbacks are sibling attempt spans). An attempt takes its span, trace and parent when its
 * upstream call starts and carries them to its record, so one that ends after its request (a shadow
 * copy) still joins the trace; spans are batched and exported off the request path. Prompt and
 * completion content is never recorded.
 */
export class Tracer<Encoded = SpanData> implements AttemptObserver, AttemptTracing {
  private readonly open = new Map<string, OpenServerSpan>();
  /** Each deployment's `server.address` and `server.port`, worked out once from its config. */
  private readonly servers = new Map<string, Server | undefined>();
  private queue: Encoded[] = [];
  private readonly timer: NodeJS.Timeout;
  /** The export loop while it runs: one export in flight at most, the rest wait in the bounded queue. */
  private draining: Promise<void> | undefined;
  /** Whether the loop sends a last partial batch too (a flush asked), or full batches only (the queue filled one). */
  private drainAll = false;
  private readonly now: () => number;
  private readonly batchSize: number;
  private readonly maxQueue: number;
  private readonly logger: Logger;
  private readonly attributeValueLengthLimit: number;
  /** Spans dropped: the oldest past `maxQueue`, and those still queued when `close()` ran out of time. */
  dropped = 0;
  private reportedDropped = 0;
  /** Whether an export's failure was logged: an exporter should never reject, so once is enough to show it does. */
  private warnedExportFailure = false;

  constructor(private readonly o: TracerOptions<Encoded>) {
    for (const d of o.deployments) this.servers.set(d.id, serverOf(d));
    this.now = o.now ?? Date.now;
    this.batchSize = o.batchSize ?? 512;
    this.maxQueue = o.maxQueue ?? 8192;
    this.logger = o.logger ?? silentLogger;
    this.attributeValueLengthLimit = o.attributeValueLengthLimit ?? DEFAULT_ATTRIBUTE_VALUE_LENGTH_LIMIT;
    this.timer = setInterval(() => this.inBackground(this.flush()), o.flushIntervalMs ?? 1_000);
    this.timer.unref();
  }

  /**
   * Opens the request's SERVER span (child of the client's `traceparent` when valid, which then brings
   * its `tracestate` along); returns its context.
   */
  startServerSpan(start: ServerSpanStart): TraceContext {
    const parent = parseTraceparent(start.headers.traceparent);
    const tid = parent?.traceId ?? traceId();
    const ctx: TraceContext = { traceId: tid, spanId: spanId(), sampled: parent ? parent.sampled : sampledByRatio(tid, this.o.sampleRatio) };
    // The spec forbids reading a tracestate whose traceparent did not parse: it belongs to another trace.
    const traceState = parent ? parseTracestate(start.headers.tracestate) : undefined;
    // Unsampled requests are kept too, so that their attempts are not sampled on their own.
    this.open.set(start.requestId, { ctx, parentSpanId: parent?.spanId, traceState, startMs: this.now(), start });
    return ctx;
  }

  /**
   * Closes a SERVER span with the HTTP status and, when known, who served the request. A caller without
   * a valid key does not get its `traceparent`'s sampled flag followed (W3C Trace Context lets a
   * participant ignore an untrusted caller's): the ratio decides, so anonymous `-01` requests cannot push
   * real spans out of the bounded queue. Refused before its route ran, it made no upstream call to trace.
   */
  endServerSpan(requestId: string, status: number, servedBy: { deployment: string | undefined; group: string | undefined } | undefined, errorKind: string | undefined): void {
    const span = this.open.get(requestId);
    if (!span) return;
    this.open.delete(requestId);
    const sampled = errorKind === UNAUTHENTICATED ? sampledByRatio(span.ctx.traceId, this.o.sampleRatio) : span.ctx.sampled;
    if (!sampled) return;
    const { start } = span;
    const method = httpMethod(start.method);
    const host = serverOfHost(stringHeader(start.headers.host));
    const route = applicationRoot(start.originalPath, start.path) + start.route;
    // A SERVER span's 4xx is the client's error, not a failed operation: no error.type, status UNSET (HTTP
    // semantic conventions). A 2xx with an error kind is a stream that failed after its status line went out.
    // A client that left before any status went out (its error answer, 499, reaches nobody) failed the
    // request before a status was sent: error.type and ERROR, and no status code, since none was sent.
    const unsent = errorKind === CANCELLED && status >= 400;
    const failed = unsent || status >= 500 || (status < 400 && errorKind !== undefined);
    this.push({
      traceId: span.ctx.traceId,
      spanId: span.ctx.spanId,
      parentSpanId: span.parentSpanId,
      traceState: span.traceState,
      // The conventions name a span of an unknown method `HTTP {route}`.
      name: `${method === '_OTHER' ? 'HTTP' : method} ${route}`,
      kind: SpanKind.SERVER,
      startMs: span.startMs,
      endMs: this.now(),
      attributes: {
        'http.request.method': method,
        'http.request.method_original': method === start.method ? undefined : start.method,
        'url.scheme': start.scheme,
        // Scrubbed as the conventions allow: a path parameter is whatever the client typed, an admin's key
        // pasted in place of its id among them, so the path is the route's, as the access log writes it.
        'url.path': route,
        'http.route': route,
        'http.response.status_code': unsent ? undefined : status,
        'network.protocol.version': protocolVersion(start.httpVersion),
        'server.address': host?.address,
        'server.port': host?.port,
        'user_agent.original': stringHeader(start.headers['user-agent']),
        'switchyard.request_id': start.requestId,
        'switchyard.group': servedBy?.group,
        'switchyard.deployment': servedBy?.deployment,
        'switchyard.error_kind': errorKind,
        'error.type': failed ? (errorKind ?? String(status)) : undefined,
      },
      status: failed ? { code: 2, message: errorKind ?? String(status) } : { code: 0 },
      flags: span.parentSpanId === undefined ? SpanFlags.LOCAL_PARENT : SpanFlags.REMOTE_PARENT,
    });
  }

  /**
   * An attempt's span, chosen as its upstream call starts (the call's `traceparent` names it, and the
   * client's `tracestate` goes with it) and exported from its record after the attempt. Unsampled
   * requests pass their own context on (the W3C flag says 00). In-process callers without a server
   * span get none.
   */
  attemptSpan(requestId: string): AttemptSpan | undefined {
    const server = this.open.get(requestId);
    if (!server) return undefined;
    const { ctx } = server;
    const id = ctx.sampled ? spanId() : ctx.spanId;
    return {
      traceparent: formatTraceparent({ traceId: ctx.traceId, spanId: id, sampled: ctx.sampled }),
      tracestate: server.traceState,
      traceId: ctx.traceId,
      spanId: id,
      parentSpanId: ctx.spanId,
      sampled: ctx.sampled,
    };
  }

  onAttempt(r: AttemptRecord): void {
    let tid: string;
    let id: string;
    let parentSpanId: string | undefined;
    let traceState: string | undefined;
    const own = r.span;
    if (own) {
      // Not looked up by request id: the request's span may have ended before this attempt (a shadow copy).
      if (!own.sampled) return;
      tid = own.traceId;
      id = own.spanId;
      parentSpanId = own.parentSpanId;
      traceState = own.tracestate;
    } else {
      // No upstream call (a cache hit) or no server span when it was made (an in-process caller).
      const server = this.open.get(r.requestId);
      if (server) {
        if (!server.ctx.sampled) return;
        tid = server.ctx.traceId;
        parentSpanId = server.ctx.spanId;
        traceState = server.traceState;
      } else {
        // In-process callers have no server span: a request's attempts still share one trace.
        tid = UUID.test(r.requestId) ? r.requestId.replaceAll('-', '') : traceId();
        if (!sampledByRatio(tid, this.o.sampleRatio)) return;
      }
      id = spanId();
    }
    if (r.cacheHit === true) {
      this.push(cacheHitSpan(r, { traceId: tid, spanId: id, parentSpanId, traceState }));
      return;
    }
    this.push(attemptSpan(r, { traceId: tid, spanId: id, parentSpanId, traceState }, this.servers.get(r.deployment)));
  }

  /** The `traceparent` to send with a request made on behalf of `ctx`. */
  traceparent(ctx: TraceContext): string {
    return formatTraceparent(ctx);
  }

  /**
   * Exports what is queued, one batch at a time, until the queue is empty; resolves then. Called while
   * an export is in flight it joins that loop rather than starting another (a slow collector must not
   * pile batches up outside the queue's bound).
   */
  flush(): Promise<void> {
    if (this.queue.length > 0) this.drainAll = true;
    return this.startDrain();
  }

  /** Exports what is queued for at most `closeTimeoutMs`, then drops (and counts) what is left. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    let deadline: NodeJS.Timeout | undefined;
    const expired = new Promise<boolean>((resolve) => {
      deadline = setTimeout(() => resolve(true), this.o.closeTimeoutMs ?? 10_000);
    });
    const timedOut = await Promise.race([this.flush().then(() => false), expired]);
    clearTimeout(deadline);
    if (timedOut) this.dropQueued();
    this.reportDrops();
  }

  private startDrain(): Promise<void> {
    if (this.draining) return this.draining;
    if (this.queue.length === 0) return Promise.resolve();
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      this.drainAll = false;
    });
    return this.draining;
  }

  /**
   * Sends batches while a full one waits, and the rest when a flush asked. Under load the spans that
   * queue during an export wait for a full batch or the timer, rather than going out in many small ones
   * (each a request with its own headers and body to assemble: ~2 µs a traced request at 64 connections, `ab.mjs`).
   */
  private async drain(): Promise<void> {
    while (this.queue.length >= this.batchSize || (this.drainAll && this.queue.length > 0)) {
      const batch = this.queue.splice(0, this.batchSize);
      try {
        await this.o.exporter.export(batch);
      } catch (err) {
        // The exporter broke its promise never to reject: the batch is lost, and the loop goes on.
        this.dropped += batch.length;
        this.exportFailed(err);
      }
      this.reportDrops();
    }
  }

  /**
   * For the callers that do not wait (the timer, a full batch on the request path): nothing of a drain
   * may become an unhandled rejection, which would end the process (`serve --workers` would crash-loop).
   */
  private inBackground(drain: Promise<void>): void {
    drain.catch((err: unknown) => this.exportFailed(err));
  }

  private exportFailed(err: unknown): void {
    if (this.warnedExportFailure) return;
    this.warnedExportFailure = true;
    this.logger.warn({ err: errorMessage(err) }, 'trace export failed unexpectedly: its spans are dropped');
  }

  /** Shutdown ran out of time: spans not yet handed to the exporter are lost. */
  private dropQueued(): void {
    this.dropped += this.queue.length;
    this.queue = [];
  }

  /** Logs drops since the last report: at most once per export, so a dead collector cannot flood the log. */
  private reportDrops(): void {
    if (this.dropped === this.reportedDropped) return;
    this.logger.warn({ dropped: this.dropped - this.reportedDropped, droppedTotal: this.dropped }, 'trace spans dropped: the collector is slow or unreachable');
    this.reportedDropped = this.dropped;
  }

  private push(span: SpanData): void {
    let encoded: Encoded;
    limitAttributes(span.attributes, this.attributeValueLengthLimit);
    try {
      encoded = this.o.exporter.encode(span);
    } catch {
      // On the request path, inside an observer: a span that cannot be encoded is dropped and counted, never thrown.
      this.dropped += 1;
      return;
    }
    if (this.queue.length >= this.maxQueue) {
      // Oldest first, as they are the least useful to someone looking at traces now.
      this.queue.shift();
      this.dropped += 1;
    }
    this.queue.push(encoded);
    if (this.queue.length >= this.batchSize && !this.draining) this.inBackground(this.startDrain());
  }
}
