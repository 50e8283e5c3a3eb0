import { abortedBeforeSending } from '../core/abort.js';
import type { CancelSignal } from '../core/cancel.js';
import { GatewayError } from '../core/errors.js';
import { brokenAnswer, exchangeError, isRedirect, redirected } from './exchange-errors.js';
import { ERROR_BODY_WAIT_MS, MAX_ERROR_BYTES } from './read-reply.js';
import { Agent, type ExchangeHandler } from './transport/agent.js';
import { UpstreamBody } from './upstream-body.js';
import { upstreamName, type Upstream } from './upstream.js';

/*
 * The upstream call: a pooled exchange, streamed (`sendUpstream`) or read whole (`requestBuffered`).
 * Its parts live beside it: `upstream.ts` (whose upstream, as messages name it), `upstream-body.ts` (a
 * streamed body), `exchange-errors.ts` (transport failures in the taxonomy), `read-reply.ts` (JSON and
 * error answers), `trace-context.ts`; what they export is exported here too, for importers of this module.
 */
export type { Agent } from './transport/agent.js';
export type { Upstream } from './upstream.js';
export { UpstreamBody, RELEASE_GRACE_MS } from './upstream-body.js';
export { transportError } from './exchange-errors.js';
export { bufferedError, ERROR_BODY_WAIT_MS, parseJsonBody, upstreamError, type UpstreamErrorMapper } from './read-reply.js';
export { addTraceContext, withTraceContext } from './trace-context.js';

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

/** A whole upstream answer, read into memory (non-streaming calls). */
export interface BufferedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Upstream answers larger than this are refused rather than buffered. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

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
          abortUpstream?.(new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${upstreamName(upstream)} answered with more than ${MAX_BUFFERED_BYTES} bytes.`, provider }));
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

/** First value of a header that may repeat. */
export function header(headers: UpstreamResponse['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}