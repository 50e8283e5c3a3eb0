/**
 * The runtime-neutral HTTP exchange: what every front door (node:http, AWS Lambda, Google Cloud
 * Functions, Azure Functions) translates its platform's request into, and the answer it translates back.
 * Plain data and functions of our own, not WHATWG Request/Response: on the Node hot path a fetch-style
 * proxy measured ~270-300 µs CPU per request against ~64 µs for undici + node:http.
 */

import type { CancelSignal } from '../core/cancel.js';
import type { GatewayError } from '../core/errors.js';

/** Header names are lower-case; repeated headers are joined with ", " (set-cookie never occurs here). */
export type HeaderMap = Readonly<Record<string, string | undefined>>;

/**
 * Reads the whole request body, refusing more than `limit` bytes (413) and a client that takes longer
 * than `timeoutMs` to send it (408). Adapters whose platform already buffered the body pass the bytes.
 * The handler calls it as `request.body(limit, timeoutMs)`, so an adapter's request class may
 * implement it as a method (no closure per request).
 */
export type BodyReader = (limit: number, timeoutMs: number) => Promise<Uint8Array>;

export interface HttpRequest {
  /** Upper-case method, e.g. `POST`. */
  readonly method: string;
  /** The path the gateway routes on, without the query string, e.g. `/v1/chat/completions`. */
  readonly path: string;
  /**
   * The path as the client sent it, where the runtime routes on another one: `path` with a stage or
   * route prefix taken off (`/prod/v1/chat/completions` on API Gateway's execute-api domain,
   * `/api/v1/chat/completions` under Azure's default route prefix). The prefix goes in front of the
   * server span's `http.route` and `url.path`, as the conventions ask. Absent when `path` is that.
   */
  readonly originalPath?: string | undefined;
  /**
   * True where the platform hands the path over percent-decoded, with no field keeping it as sent (API
   * Gateway's HTTP APIs): a `%2F` the client sent is a `/` by then and a `%` is a percent sign, so the
   * router decodes no parameter again. Absent where the path is as the client encoded it.
   */
  readonly pathDecoded?: boolean | undefined;
  /** The raw query string without `?`; empty when there is none. */
  readonly query: string;
  /**
   * The scheme the client used, as the runtime knows it (`https` on the serverless platforms, which
   * take only HTTPS, an ALB's HTTP listener aside; on node:http, whether the socket is TLS), never from
   * a client's `x-forwarded-proto`: the server span's `url.scheme`. Absent is taken as `http`.
   */
  readonly scheme?: 'http' | 'https' | undefined;
  /**
   * The HTTP version the client spoke, as the runtime reports it (`1.1`, `2.0`, `HTTP/1.1`): the server
   * span's `network.protocol.version`. Absent where the runtime does not know the client's version (a
   * platform whose front end speaks to the function on a protocol of its own choosing).
   */
  readonly httpVersion?: string | undefined;
  readonly headers: HeaderMap;
  /** The body: bytes the platform already buffered, or a reader that streams it in under limits. */
  readonly body: Uint8Array | BodyReader | undefined;
  /**
   * Aborts when the client goes away (disconnect, platform cancellation), or, with a `GatewayError` of
   * kind `timeout` as its reason, when the runtime's own deadline is near: the client then gets that error.
   * A runtime that ends the request itself (a drain's deadline) aborts it with a `cancelled` one, so no
   * deployment is blamed or retried for it, whose `cause` is the `GatewayError` its client gets.
   */
  readonly signal: CancelSignal;
  /** The client's address as the platform reports it, for logs only. */
  readonly remoteAddress?: string | undefined;
  /**
   * Runs `task` once the answer has been handed to the platform (written whole, ended, or the client
   * gone), so what a request leaves for afterwards (its access log line, its span's end) is not part
   * of its latency. A runtime without that moment leaves this out and the handler runs the task before
   * it answers: a serverless invocation may be frozen as soon as it returns.
   */
  afterAnswer?(task: AfterAnswer): void;
  /**
   * Told, on a route that needs a key, whether the request's key was taken (`accepted`) or refused (a
   * 401, or a scrape key on another route's 403): a runtime may keep idle connections open for callers
   * with a key only (node:http closes the others' after the answer), deciding again at every request.
   */
  authenticated?(accepted: boolean): void;
}

/** What a request leaves for after its answer. */
export interface AfterAnswer {
  answered(): void;
}

/**
 * A streamed body: chunks (SSE frames) in order. The adapter pulls the next chunk only after the last
 * one was handed to the platform (backpressure), and calls `return()` when the client goes away so the
 * handler can close its upstream and settle usage.
 */
export type BodyStream = AsyncIterable<string> & {
  /**
   * True once the stream's last frames are decided and only wait to be released (until the usage they
   * close is journaled, within the event-loop turn): an adapter that gathers a turn's chunks into one
   * write may hold them and send them with the end, one write to the client instead of two.
   */
  readonly ending?: boolean;
  /**
   * Ends the stream before its end because the runtime must (a server's drain reached its deadline):
   * the upstream stops and the attempt settles cancelled with `reason` (whose message says why: not the
   * client's leaving), and the promise gives the last frames to send, the front door's error event for
   * `error`; or, when the answer was whole already (its finish and usage sent), its closing frames, the
   * attempt settling ok. Undefined when the last frames are decided already. Only streams in a front
   * door's own shape have it.
   */
  interrupt?(error: GatewayError, reason: GatewayError): Promise<string> | undefined;
};

export interface HttpResponse {
  readonly status: number;
  /** Lower-case names. The adapter adds nothing but what its platform requires. */
  readonly headers: Record<string, string>;
  /** A whole body (JSON) or a stream of chunks (SSE). */
  readonly body: string | Uint8Array | BodyStream;
  /**
   * HTTP trailers, read once the stream has ended (e.g. `x-switchyard-cost-usd`). Sent where the runtime
   * supports them (node:http, when the headers announced them in `trailer`); dropped elsewhere.
   */
  readonly trailers?: (() => Record<string, string> | undefined) | undefined;
}

/** The whole gateway behind one function: routing of paths, auth, limits, encoding, errors. */
export type HttpHandler = (request: HttpRequest) => Promise<HttpResponse>;

/** True when the response body is a stream the adapter must pump chunk by chunk. */
export function isBodyStream(body: HttpResponse['body']): body is BodyStream {
  return typeof body === 'object' && !(body instanceof Uint8Array);
}
