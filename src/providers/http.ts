import { abortedBeforeSending } from '../core/abort.js';
import type { CancelSignal } from '../core/cancel.js';
import type { CallContext } from '../core/provider.js';
import { GatewayError } from '../core/errors.js';
import { Agent, type ExchangeHandler } from './transport/agent.js';

export type { Agent } from './transport/agent.js';

export interface PoolOptions {
  connections?: number;
  /** How long an idle keep-alive connection is kept; short, so a hung upstream's sockets go soon. */
  keepAliveTimeoutMs?: number;
  /** Time allowed to open a connection (TCP and TLS). */
  connectTimeoutMs?: number;
}

/** A keep-alive connection pool per upstream origin; sized for a gateway, not a browser. */
export function createAgent(options: PoolOptions = {}): Agent {
  return new Agent({
    connections: options.connections ?? 128,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 4_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
  });
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: UpstreamBody;
}

export interface UpstreamRequest {
  url: URL;
  method?: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string | Uint8Array;
  signal: CancelSignal;
}

/**
 * Whose upstream a call reaches: the provider type its errors carry (`GatewayError.provider`), and the
 * deployment their messages name, as the gateway's words for an upstream's error reply do
 * (`upstreamMessage`): one name for a failure before the answer and the same failure mid-stream.
 */
export interface Upstream {
  readonly provider: string;
  readonly deployment: string;
}

/** An upstream as messages name it: `deployment (provider)`, or the one when they are the same. */
function named(upstream: Upstream): string {
  return upstream.deployment === upstream.provider ? upstream.provider : `${upstream.deployment} (${upstream.provider})`;
}

/** The W3C trace context an upstream call carries (tracing on): see `CallContext`. */
type TraceHeaders = Pick<CallContext, 'traceparent' | 'tracestate'>;

/**
 * `headers` with the attempt's W3C trace context added when there is one (a copy only then): its
 * `traceparent`, and the client's `tracestate` with it. Not `{ ...headers, traceparent }`: on Node 20
 * that gives every copy a hidden class of its own.
 */
export function withTraceContext(headers: Record<string, string>, ctx: TraceHeaders): Record<string, string> {
  const { traceparent, tracestate } = ctx;
  if (traceparent === undefined) return headers;
  return tracestate === undefined ? Object.assign({}, headers, { traceparent }) : Object.assign({}, headers, { traceparent, tracestate });
}

/** Adds the attempt's W3C trace context to `headers`, built for this one request (so before SigV4 signs them). */
export function addTraceContext(headers: Record<string, string>, ctx: TraceHeaders): void {
  if (ctx.traceparent === undefined) return;
  headers.traceparent = ctx.traceparent;
  if (ctx.tracestate !== undefined) headers.tracestate = ctx.tracestate;
}

/**
 * Sends one upstream request and resolves with its status and headers once they arrive; the body is
 * read from `body` as it streams. Transport failures map into the taxonomy; the URL always comes from
 * config, never from a client. No Node Readable per response and no stream machinery per chunk,
 * one plain abort listener for the whole exchange.
 */
export function sendUpstream(agent: Agent, req: UpstreamRequest, upstream: Upstream): Promise<UpstreamResponse> {
  const { signal } = req;
  if (signal.aborted) return Promise.reject(abortedBeforeSending(signal, upstream.provider));
  return new Promise<UpstreamResponse>((resolve, reject) => {
    const body = new UpstreamBody(upstream, signal);
    let started = false;
    let status = 0;
    let received = 0;
    const fail = (err: Error, unsent: boolean): void => {
      const error = exchangeError(err, unsent, upstream, signal);
      if (started) body.fail(brokenAnswer(error, upstream, status, received, 'stream'));
      else {
        body.settle();
        reject(error);
      }
    };
    const handler: ExchangeHandler = {
      onConnect(abort) {
        body.attach(abort);
      },
      onHeaders(statusCode, headers, resume) {
        if (isRedirect(statusCode)) {
          reject(redirected(statusCode, upstream));
          body.destroy();
          return false;
        }
        started = true;
        status = statusCode;
        body.resumeUpstream = resume;
        resolve({ status: statusCode, headers, body });
        return true;
      },
      onData: (chunk) => {
        received += chunk.length;
        return body.push(chunk);
      },
      onComplete: () => body.end(),
      onError: fail,
    };
    agent.dispatch({ url: req.url, method: req.method ?? 'POST', headers: req.headers, body: req.body }, handler);
  });
}

/** A 3xx (a redirect, or 304 Not Modified, which the gateway never asks for). */
const isRedirect = (status: number): boolean => status >= 300 && status < 400;

/**
 * An upstream's 3xx, on either path: never followed (the deployment's credentials go only to its
 * configured host), and its Location never quoted (it may carry tokens). The upstream's fault, so the
 * next deployment may serve; the same answer would come again, so no retry.
 */
function redirected(status: number, upstream: Upstream): GatewayError {
  const message = `Upstream ${named(upstream)} answered with a redirect (HTTP ${status}), which the gateway does not follow.`;
  return new GatewayError({ kind: 'bad_upstream_response', message, provider: upstream.provider, upstreamStatus: status });
}

/** Bytes an upstream body may run ahead of its reader before the socket is paused. */
const BODY_HIGH_WATER = 64 * 1024;

/**
 * How long a body whose stream already ended (its end marker read) may take to end on its own: one that
 * does keeps its connection for reuse; one the upstream holds open is aborted then.
 */
export const RELEASE_GRACE_MS = 1_000;

/**
 * A streamed upstream body: the chunks the transport hands over, read as an async iterator. It holds up to
 * BODY_HIGH_WATER bytes the reader has not taken, then pauses the socket until it has. `return()` or
 * `destroy()` before the end aborts the upstream request (its connection cannot be reused mid-body).
 * Failures, the client's abort included, surface from `next()` mapped into the taxonomy.
 */
export class UpstreamBody implements AsyncIterableIterator<Buffer> {
  /** Set once the response starts: lets the transport read the socket again after a pause. */
  resumeUpstream: (() => void) | undefined;
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private paused = false;
  private waiter: { resolve: (r: IteratorResult<Buffer>) => void; reject: (err: unknown) => void } | undefined;
  private error: GatewayError | undefined;
  private ended = false;
  private settled = false;
  private abortUpstream: ((reason: Error) => void) | undefined;
  /** Set by `release`: the reader wants nothing more; the body is aborted unless it ends before this fires. */
  private releaseTimer: NodeJS.Timeout | undefined;
  private readonly onAbort = (): void => this.abort(this.signal.reason as Error);
  private readonly heldOpen = (): void => {
    this.releaseTimer = undefined;
    this.abort(new GatewayError({ kind: 'cancelled', message: `The upstream held its body open ${RELEASE_GRACE_MS} ms after its stream ended.`, provider: this.upstream.provider }));
  };

  constructor(
    private readonly upstream: Upstream,
    private readonly signal: CancelSignal,
  ) {
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The transport's abort for this request; a client that left before it was dispatched is honoured now. */
  attach(abort: (reason: Error) => void): void {
    this.abortUpstream = abort;
    if (this.signal.aborted) abort(this.signal.reason as Error);
  }

  /** A chunk from the socket; false asks the transport to pause it until the reader catches up. */
  push(chunk: Buffer): boolean {
    if (this.settled || this.releaseTimer !== undefined) return true;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter.resolve({ done: false, value: chunk });
      return true;
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < BODY_HIGH_WATER) return true;
    this.paused = true;
    return false;
  }

  /** The body is complete. */
  end(): void {
    this.ended = true;
    this.settle();
    this.stopReleaseTimer();
    const waiter = this.waiter;
    if (waiter && this.chunks.length === 0) {
      this.waiter = undefined;
      waiter.resolve({ done: true, value: undefined });
    }
  }

  /** The exchange failed mid-body: the reader gets the error after the chunks that came before it. */
  fail(error: GatewayError): void {
    if (this.ended) return;
    this.error ??= error;
    this.ended = true;
    this.settle();
    this.stopReleaseTimer();
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter.reject(error);
    }
  }

  /** Stops listening for the client's abort: the exchange is over one way or another. */
  settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.signal.removeEventListener('abort', this.onAbort);
  }

  next(): Promise<IteratorResult<Buffer>> {
    const chunk = this.chunks.shift();
    if (chunk !== undefined) {
      this.buffered -= chunk.length;
      if (this.paused && this.buffered < BODY_HIGH_WATER / 2) {
        this.paused = false;
        this.resumeUpstream?.();
      }
      return Promise.resolve({ done: false, value: chunk });
    }
    if (this.error) return Promise.reject(this.error);
    if (this.ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** The reader stops early: the rest of the body is not wanted. */
  return(): Promise<IteratorResult<Buffer>> {
    this.destroy();
    return Promise.resolve({ done: true, value: undefined });
  }

  /**
   * The reader has the stream's own end marker and wants nothing more. What still comes is dropped; a
   * body that ends within RELEASE_GRACE_MS leaves its connection to the pool, one held open is aborted.
   */
  release(): void {
    this.chunks.length = 0;
    this.buffered = 0;
    if (this.ended || this.releaseTimer !== undefined) return;
    this.releaseTimer = setTimeout(this.heldOpen, RELEASE_GRACE_MS);
    this.releaseTimer.unref();
    if (this.paused) {
      this.paused = false;
      this.resumeUpstream?.();
    }
  }

  private stopReleaseTimer(): void {
    if (this.releaseTimer === undefined) return;
    clearTimeout(this.releaseTimer);
    this.releaseTimer = undefined;
  }

  /** Drops the body; an exchange still running is aborted (its connection is closed). */
  destroy(): void {
    this.chunks.length = 0;
    this.buffered = 0;
    if (!this.ended) this.abort(new GatewayError({ kind: 'cancelled', message: 'The upstream body was not read to its end.', provider: this.upstream.provider }));
  }

  private abort(reason: Error): void {
    this.fail(transportError(reason, this.upstream, this.signal));
    this.abortUpstream?.(reason);
  }
}

/** A whole upstream answer, read into memory (non-streaming calls). */
export interface BufferedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Upstream answers larger than this are refused rather than buffered. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/**
 * An error answer's body is read up to this; a longer one is not read on and maps by its status alone.
 * Its status says what it is, so a huge error body must not cost 64 MB of memory per attempt nor turn a
 * retryable 500 into a `bad_upstream_response`.
 */
const MAX_ERROR_BYTES = 1024 * 1024;

/**
 * How long an error answer's body is waited for after its status: one that stalls maps by its status
 * alone, so a 429 stays a rate limit (its cool-down and retry-after kept) rather than becoming a timeout.
 */
export const ERROR_BODY_WAIT_MS = 2_000;

/** Sends one upstream request and reads the whole answer: no body stream, one plain abort listener. */
export function requestBuffered(agent: Agent, req: UpstreamRequest, upstream: Upstream): Promise<BufferedResponse> {
  const { signal } = req;
  const { provider } = upstream;
  return new Promise<BufferedResponse>((resolve, reject) => {
    if (signal.aborted) return reject(abortedBeforeSending(signal, provider));
    let status = 0;
    let headers: BufferedResponse['headers'] = {};
    const chunks: Buffer[] = [];
    let size = 0;
    let abortUpstream: ((reason: Error) => void) | undefined;
    let errorBodyTimer: NodeJS.Timeout | undefined;
    // An error answer cut short by the attempt's end (a timeout shorter than ERROR_BODY_WAIT_MS) still
    // says what it is by its status; anything else ends with the abort's reason.
    const onAbort = (): void => (status >= 400 ? cutErrorBody('cut short by the attempt\'s end') : abortUpstream?.(signal.reason as Error));
    signal.addEventListener('abort', onAbort, { once: true });
    const settle = (): void => {
      signal.removeEventListener('abort', onAbort);
      if (errorBodyTimer) clearTimeout(errorBodyTimer);
    };
    /** An error answer whose body is not read on: its status (and headers) say what it is. */
    const cutErrorBody = (why: string): void => {
      settle();
      resolve({ status, headers, body: Buffer.alloc(0) });
      abortUpstream?.(new GatewayError({ kind: 'cancelled', message: `The rest of an error answer ${why} was not read.`, provider }));
    };
    const handler: ExchangeHandler = {
      onConnect(abort) {
        abortUpstream = abort;
        if (signal.aborted) abort(signal.reason as Error);
      },
      onHeaders(statusCode, responseHeaders) {
        if (isRedirect(statusCode)) {
          settle();
          reject(redirected(statusCode, upstream));
          abortUpstream?.(new GatewayError({ kind: 'cancelled', message: 'A redirect was not followed.', provider }));
          return false;
        }
        status = statusCode;
        headers = responseHeaders;
        if (statusCode >= 400) errorBodyTimer = setTimeout(cutErrorBody, ERROR_BODY_WAIT_MS, `stalled for ${ERROR_BODY_WAIT_MS} ms`);
        return true;
      },
      onData(chunk) {
        size += chunk.length;
        if (status >= 400 && size > MAX_ERROR_BYTES) {
          cutErrorBody(`over ${MAX_ERROR_BYTES} bytes`);
          return false;
        }
        if (size > MAX_BUFFERED_BYTES) {
          abortUpstream?.(new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${named(upstream)} answered with more than ${MAX_BUFFERED_BYTES} bytes.`, provider }));
          return false;
        }
        chunks.push(chunk);
        return true;
      },
      onComplete() {
        settle();
        resolve({ status, headers, body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size) });
      },
      onError(err, unsent) {
        settle();
        reject(brokenAnswer(exchangeError(err, unsent, upstream, signal), upstream, status, size, 'answer'));
      },
    };
    agent.dispatch({ url: req.url, method: req.method ?? 'POST', headers: req.headers, body: req.body }, handler);
  });
}

/** Parses a buffered JSON answer; an unparseable body is a bad_upstream_response, never a crash. */
export function parseJsonBody(res: BufferedResponse, upstream: Upstream): unknown {
  return parseUpstreamJson(res.body.toString('utf8'), res.status, upstream);
}

function parseUpstreamJson(text: string, status: number, upstream: Upstream): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${named(upstream)} returned a malformed body (status ${status}).`, provider: upstream.provider, upstreamStatus: status });
  }
}

/** Maps a buffered error answer with the provider's own error mapping (an unparseable body maps as absent). */
export function bufferedError(res: BufferedResponse, upstream: Upstream, map: UpstreamErrorMapper): GatewayError {
  let body: unknown;
  try {
    body = JSON.parse(res.body.toString('utf8')) as unknown;
  } catch {
    body = undefined;
  }
  return map(res.status, res.headers, body, upstream.provider);
}

/** The transport's and the socket's codes for an upstream that did not answer in time. */
const TIMEOUTS = new Set(['CONNECT_TIMEOUT', 'ETIMEDOUT']);

/** Maps a socket-level failure (or our own abort) to a GatewayError. */
export function transportError(err: unknown, upstream: Upstream, signal?: CancelSignal): GatewayError {
  if (GatewayError.isInstance(err)) return err;
  const { provider } = upstream;
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    if (GatewayError.isInstance(reason)) return reason;
    return new GatewayError({ kind: 'cancelled', message: 'The request was cancelled.', provider, cause: err });
  }
  const code = (err as { code?: string }).code ?? 'error';
  if (code === 'INVALID_REQUEST_HEADER') {
    // A header this deployment builds (a credential with a line break, say) cannot be sent: not worth
    // a retry, but the next deployment may be fine.
    return new GatewayError({ kind: 'authentication', message: `The request to upstream ${named(upstream)} has a header that cannot be sent (a credential with a line break?).`, provider, cause: err });
  }
  if (TIMEOUTS.has(code)) {
    return new GatewayError({ kind: 'timeout', message: `Upstream ${named(upstream)} timed out.`, provider, cause: err });
  }
  return new GatewayError({ kind: 'network', message: `Upstream ${named(upstream)} connection failed (${code}).`, provider, cause: err });
}

/**
 * What a failed exchange ends with. One that failed before its request was written (it waited for a
 * pooled connection the client or a timeout gave up on, or the connection failed) cost the upstream
 * nothing, and says so (`unsent`): no row, no charge, its quota given back.
 */
function exchangeError(err: Error, unsent: boolean, upstream: Upstream, signal: CancelSignal): GatewayError {
  if (!unsent) return transportError(err, upstream, signal);
  return signal.aborted ? abortedBeforeSending(signal, upstream.provider) : transportError(err, upstream, signal).withUnsent(true);
}

/**
 * A connection lost after the upstream's status line: the error names the status of the answer that
 * broke, so a 2xx cut mid-body (the upstream took the request and was answering it: it bills) is told
 * from a connection lost before any answer (`gateway/observe.ts` `failure`), and says what happened:
 * the connection worked, the answer broke off after `bytes` of its body. Our own aborts (a timeout,
 * the client leaving) keep their reason as it is.
 */
function brokenAnswer(error: GatewayError, upstream: Upstream, status: number, bytes: number, what: 'stream' | 'answer'): GatewayError {
  if (status === 0 || error.kind !== 'network' || error.upstreamStatus !== undefined) return error;
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  const message = `Upstream ${named(upstream)}'s ${what} ended before it finished: ${howItBroke(typeof code === 'string' ? code : undefined)} after ${bytes} ${bytes === 1 ? 'byte' : 'bytes'} of its body.`;
  return new GatewayError({ ...error.toInit(), upstreamStatus: status, message });
}

/** How a connection ended an answer mid-body, by the transport's or the socket's error code. */
function howItBroke(code: string | undefined): string {
  switch (code) {
    case 'SOCKET_CLOSED':
      return 'the upstream closed the connection';
    case 'ECONNRESET':
      return 'the upstream reset the connection';
    case 'UPSTREAM_HTTP_PARSE':
      return "the upstream's HTTP framing broke";
    default:
      return `the connection failed (${code ?? 'error'})`;
  }
}

/** Reads a whole upstream body as text, mapping a mid-body socket failure into the taxonomy. */
async function readText(res: UpstreamResponse, upstream: Upstream, signal: CancelSignal, limit = MAX_BUFFERED_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      size += chunk.length;
      if (size > limit) {
        res.body.destroy();
        throw new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${named(upstream)} answered with more than ${limit} bytes.`, provider: upstream.provider, upstreamStatus: res.status });
      }
      chunks.push(chunk);
    }
  } catch (err) {
    throw transportError(err, upstream, signal);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/** Reads and parses a JSON body; an unparseable body is a bad_upstream_response, never a crash. */
async function readJson(res: UpstreamResponse, upstream: Upstream, signal: CancelSignal, limit?: number): Promise<unknown> {
  return parseUpstreamJson(await readText(res, upstream, signal, limit), res.status, upstream);
}

/** Maps an upstream error status and its body (undefined when unreadable) into the taxonomy. */
export type UpstreamErrorMapper = (status: number, headers: UpstreamResponse['headers'], body: unknown, provider: string) => GatewayError;

/** The error an upstream error response stands for; an unreadable body still maps by its status. */
export async function upstreamError(res: UpstreamResponse, upstream: Upstream, signal: CancelSignal, map: UpstreamErrorMapper): Promise<GatewayError> {
  let timer: NodeJS.Timeout | undefined;
  // A body that stalls is cut (its read then fails, mapping as absent): the status says what it is.
  const stalled = new Promise<void>((resolve) => (timer = setTimeout(resolve, ERROR_BODY_WAIT_MS))).then(() => res.body.destroy());
  const body = await Promise.race([readJson(res, upstream, signal, MAX_ERROR_BYTES).catch(() => undefined), stalled.then(() => undefined)]);
  clearTimeout(timer);
  return map(res.status, res.headers, body, upstream.provider);
}

/** First value of a header that may repeat. */
export function header(headers: UpstreamResponse['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
