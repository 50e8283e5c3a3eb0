import { ErrorTrace } from '../core/error-trace.js';
import type { Logger } from '../core/logger.js';
import type { GatewayError } from '../core/errors.js';
import type { Gateway, ServedBy } from '../gateway/gateway.js';
import type { Conversations } from '../ingress/openai-responses/store/conversations.js';
import { NOBODY, type Caller } from './auth.js';
import { readBody } from './body.js';
import { endOfTurn } from '../core/end-of-turn.js';
import type { AfterAnswer, HeaderMap, HttpRequest } from './exchange.js';
import type { CostFn, RequestSpan, RouteContext } from './route.js';
import { NO_PARAMS, type RouteTable } from './route-table.js';
import { gatewayShare, tenths } from './server-timing.js';

/** What the handler shares with every request's context: set up once, never per request. */
export interface Shared {
  gateway: Gateway;
  table: RouteTable;
  costOf: CostFn | undefined;
  conversations: (() => Conversations | undefined) | undefined;
  logger: Logger;
  accessLog: Logger;
  bodyLimit: number;
  bodyTimeoutMs: number;
  beforeAnswer: ((alone: boolean) => Promise<void> | undefined) | undefined;
  authenticate: (headers: HeaderMap) => Caller;
  /**
   * Requests taken and not yet answered: a whole answer until its durability wait, a stream until it
   * ends. Only a hint for `beforeAnswer` (one that is never told its end keeps it above one: writes
   * are then only batched as before), so it is never part of any decision but when to write.
   */
  open: number;
  /** `server.server_timing`: answers carry a `Server-Timing` header (src/http/server-timing.ts). */
  serverTiming: boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** One request's context; a class so every request shares one shape and one lazy `query` getter. */
export class RequestContext implements RouteContext, AfterAnswer {
  caller: Caller = NOBODY;
  servedBy: ServedBy | undefined = undefined;
  params: Readonly<Record<string, string>> = NO_PARAMS;
  routePath = '';
  span: RequestSpan | undefined = undefined;
  errorKind: string | undefined = undefined;
  /** The error the request was answered with, when it failed before its answer began (its routing and timing for the access line). */
  failure: GatewayError | undefined = undefined;
  private parsedQuery: URLSearchParams | undefined;
  private bodyRead: Promise<Uint8Array> | undefined;
  private readonly started = performance.now();
  private status = 0;
  private counted = true;
  /** The answer went out as a stream (`streamEnded`). */
  private streamed = false;

  constructor(
    readonly request: HttpRequest,
    readonly requestId: string,
    private readonly shared: Shared,
  ) {
    shared.open += 1;
  }

  get gateway(): Gateway {
    return this.shared.gateway;
  }

  get costOf(): CostFn | undefined {
    return this.shared.costOf;
  }

  conversations(): Conversations | undefined {
    return this.shared.conversations?.();
  }

  callerNow(): Caller {
    return this.shared.authenticate(this.request.headers);
  }

  get query(): URLSearchParams {
    return (this.parsedQuery ??= new URLSearchParams(this.request.query));
  }

  /** Milliseconds since the request was taken. */
  elapsedMs(): number {
    return performance.now() - this.started;
  }

  body(): Promise<Uint8Array> {
    return (this.bodyRead ??= readBody(this.request, this.shared.bodyLimit, this.shared.bodyTimeoutMs));
  }

  /** The status line (200) went out before the stream; how it ended is the error kind, if it failed. */
  streamEnded(errorKind?: string): void {
    this.errorKind = errorKind;
    this.streamed = true;
    this.closeOpen();
    this.finish(200);
  }

  beforeEnd(): Promise<void> | undefined {
    return this.held(this.alone);
  }

  /** No other request is open (this one counted out already where it records no usage). */
  private get alone(): boolean {
    return this.shared.open === (this.counted ? 1 : 0);
  }

  /**
   * What the answer waits for before it leaves (`HandlerOptions.beforeAnswer`). Alone, the journal
   * writes at once: waiting for the end of the event loop's turn batches the writes of concurrent
   * requests, and with none there is nothing to batch, only a turn's delay on the answer.
   */
  durable(): Promise<void> | undefined {
    const alone = this.alone;
    this.closeOpen();
    return this.held(alone);
  }

  /**
   * `beforeAnswer`'s wait or, when it has none (no journal, or nothing journaled this turn), the end of
   * the turn, as a journal's commit would have been: answers written in the middle of a turn's reads
   * cost a busy gateway far more. Alone, nothing is held.
   */
  private held(alone: boolean): Promise<void> | undefined {
    return this.shared.beforeAnswer?.(alone) ?? (alone ? undefined : endOfTurn());
  }

  /** The request failed past its error answer: it no longer counts as open. */
  abandon(): void {
    this.closeOpen();
  }

  /** This request no longer counts as open (once, however often it is called). */
  private closeOpen(): void {
    if (this.counted) {
      this.counted = false;
      this.shared.open -= 1;
    }
  }

  internalError(err: unknown): void {
    this.shared.logger.error({ requestId: this.requestId, err: ErrorTrace.of(err) }, 'internal error');
  }

  /**
   * The request is over (its answer decided, or its stream ended): its access log line and its span's
   * end follow once the runtime has sent the answer, where it can tell (`HttpRequest.afterAnswer`).
   */
  finish(status: number): void {
    this.status = status;
    if (this.request.afterAnswer) this.request.afterAnswer(this);
    else this.answered();
  }

  /** The access log line and the span's end. Never throws: the runtime may call it from an event listener. */
  answered(): void {
    try {
      this.record();
    } catch (err) {
      this.shared.logger.error({ requestId: this.requestId, err: ErrorTrace.of(err) }, 'access log or span failed');
    }
  }

  private record(): void {
    const status = this.status;
    const id = this.request.headers['x-request-id'];
    const s = this.servedBy;
    const f = this.failure;
    const ms = this.elapsedMs();
    // A refusal at admission made no attempt the span could tell its group from: the error says it.
    this.span?.end(status, s ?? (f?.group !== undefined && f.deployment === undefined ? { group: f.group, deployment: undefined, region: undefined } : undefined), this.errorKind);
    this.shared.accessLog.info(
      {
        requestId: this.requestId,
        clientRequestId: id !== undefined && REQUEST_ID.test(id) ? id : undefined,
        method: this.request.method,
        // The route's template, never the path: a key pasted into a URL must not reach the log.
        path: this.routePath === '' ? this.shared.table.shownPath(this.request.path) : this.routePath,
        status,
        errorKind: this.errorKind,
        ms: tenths(ms),
        key: this.caller.keyId,
        // The group (or alias) the request was routed by; none for a deployment asked for by name.
        group: s?.group ?? f?.group,
        stream: this.streamed || undefined,
        deployment: s?.deployment ?? f?.deployment,
        attempts: s?.attempts ?? f?.attempts,
        // Where the time went, as the gateway measured it for the ledger: the answering attempt's time with
        // its upstream (a stream's to its end), and what no attempt took (failed ones count as upstream).
        // A failure's is every attempt's, as its gatewayMs leaves them out.
        upstreamMs: s?.upstreamMs ?? f?.upstreamMs,
        gatewayMs: gatewayShare(ms, s, f?.upstreamMs),
        // A stream's: its answering attempt's upstream time to first content (the ledger's ttft_ms), which
        // isolates the model's start; the client's wait for it adds gateway time and failed attempts (ms).
        ttftMs: s?.ttftMs,
      },
      'request',
    );
  }
}
