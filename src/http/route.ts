import type { GatewayError } from '../core/errors.js';
import type { Gateway, ServedBy } from '../gateway/gateway.js';
import type { Usage } from '../core/types.js';
import type { Conversations } from '../ingress/openai-responses/store/conversations.js';
import type { Caller } from './auth.js';
import type { HttpRequest, HttpResponse } from './exchange.js';

/**
 * Prices an answer; `usd` is undefined when the model has no known price (never silently zero).
 * `answer`: the answer (its `ServedBy`) or failure (its error's `Spent`) the priced attempt belongs to,
 * which tells a reloading process (`serve`) the app that served and booked it.
 */
export type CostFn = (servedBy: Pick<ServedBy, 'deployment' | 'provider' | 'model' | 'region'>, usage: Usage | undefined, answer?: object) => { usd: number | undefined; priced: boolean };

/** What a route gets for one request. */
export interface RouteContext {
  readonly request: HttpRequest;
  readonly gateway: Gateway;
  readonly caller: Caller;
  /**
   * The caller asked again now, from the request's own credentials: what a long-lived answer (the
   * dashboard's feed) checks so that a key revoked or demoted while it runs stops it. Throws the 401
   * the request would get now.
   */
  callerNow(): Caller;
  /** Our own id for the request (the ledger keys usage by it); never the client's. */
  readonly requestId: string;
  readonly costOf: CostFn | undefined;
  /**
   * The stored Responses conversations (`responses.store`) of the app current now; undefined when its
   * storage is off. Read once, at the start: the request then reads and saves on that app's store.
   */
  conversations(): Conversations | undefined;
  /** The query string's parameters, parsed on first use: only a few routes read them. */
  readonly query: URLSearchParams;
  /** The path's `{name}` segments, percent-decoded (`/v1/switchyard/keys/{id}/revoke`), a `{name+}` with its `/`s; empty elsewhere. */
  readonly params: Readonly<Record<string, string>>;
  /** The path of the route that took the request, `{name}` segments unfilled (`/v1/switchyard/keys/{id}/revoke`). */
  readonly routePath: string;
  /** Set by routes so the access log can name who served the request. */
  servedBy: ServedBy | undefined;
  /** The request body, read under the configured size limit and body timeout (once: later calls share it). */
  body(): Promise<Uint8Array>;
  /**
   * A streamed answer calls this once it has ended: the access log line is written then. `errorKind`
   * says how a stream that failed or was cancelled mid-answer ended; undefined when it ended well.
   */
  streamEnded(errorKind?: string): void;
  /** What a streamed answer's closing frames wait for: the usage it recorded reaching the ledger's journal. */
  beforeEnd(): Promise<void> | undefined;
  /** A streamed answer that a failure of the gateway's own ended (its status long sent) logs it here, with its cause, as an answer's is. */
  internalError(err: unknown): void;
}

export interface Route {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /**
   * An exact path, or one with `{name}` segments (matched only when no exact path does), the last of
   * which may be a `{name+}` taking the rest of the path, for an id that may hold a `/` (matched last).
   */
  readonly path: string;
  /** Health routes answer without authentication. */
  readonly public?: boolean;
  /**
   * False for the gateway's own plumbing (metrics scrapes, the dashboard's live feed): no server span,
   * not in the in-flight gauge (the HPA scales on it) or the request series. Every other authenticated
   * route is client work and observed; public routes never are.
   */
  readonly observed?: boolean;
  /** True for GET /metrics: the one route a `role: metrics` key may call; every other refuses it before it runs. */
  readonly scrape?: boolean;
  /**
   * The front door whose error shape answers this request when not the route's own (the OpenAI door's
   * `/v1/models` answers Anthropic's clients, told by `anthropic-version`, in Anthropic's). Asked of every
   * refusal on the route's path: the route's own and those before it runs (a bad key, a 405) alike.
   */
  errorDoor?(request: HttpRequest): Ingress | undefined;
  /** The answer, or a thrown GatewayError that the handler encodes in the front door's error shape. */
  handle(ctx: RouteContext): Promise<HttpResponse>;
}

/** A front door: the routes of one client-facing API and the shape of its errors. */
export interface Ingress {
  readonly name: string;
  readonly routes: readonly Route[];
  /** The error body in this API's shape; `exposeUpstream` lets the upstream's scrubbed words through. */
  encodeError(error: GatewayError, exposeUpstream: boolean, requestId?: string): unknown;
  /**
   * Where this API's error answers differ: their status (Anthropic: 529) and headers, adjusted in place
   * (Anthropic: `request-id`, its own rate-limit header names). Returns the status to answer with.
   */
  errorAnswer?(error: GatewayError, requestId: string, headers: Record<string, string>): number;
}

/**
 * One request as metrics and traces see it: opened when an observed route takes it, ended once when the
 * answer (or stream) ends.
 */
/** How a request was routed, as its span ends: who served it, or for a refusal at admission its group alone. */
export type RoutedBy = Pick<ServedBy, 'group' | 'region'> & { deployment: string | undefined };

export interface RequestSpan {
  end(status: number, servedBy: RoutedBy | undefined, errorKind: string | undefined): void;
}

/**
 * Opens a request's span; `route` is the route's path template, `path` the request's without its query
 * (`originalPath` the one the client sent, when the runtime routes on another: `HttpRequest.originalPath`),
 * `httpVersion` the runtime's (`HttpRequest.httpVersion`), `requestId` the one the gateway is given.
 */
export type StartSpan = (start: {
  method: string;
  route: string;
  path: string;
  originalPath: string | undefined;
  scheme: 'http' | 'https';
  httpVersion: string | undefined;
  headers: HttpRequest['headers'];
  requestId: string;
}) => RequestSpan;
