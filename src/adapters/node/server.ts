import type * as Http from 'node:http';
import type { ServerOptions as HttpServerOptions, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { Server as NetServer, type AddressInfo, type Socket } from 'node:net';
import { Canceller } from '../../core/cancel.js';
import { GatewayError, SERVER_SHUTDOWN_CODE } from '../../core/errors.js';
import type { Gateway } from '../../gateway/gateway.js';
import type { GatewayConfig } from '../../config/schema.js';
import type { HttpHandler, HttpResponse } from '../../http/exchange.js';
import { createHttpHandler, defaultErrorResponse, type HandlerOptions } from '../../http/handler.js';
import { createCors } from '../../http/cors.js';
import { isBodyStream } from '../../http/exchange.js';
import { clientErrorAnswer } from './client-error.js';
import { NodeRequest } from './request.js';
import { writeAnswer, type Writing } from './respond.js';

export interface ServerOptions extends Omit<HandlerOptions, 'isDraining'> {
  /** Runs after the server has drained; closes the gateway when not given. */
  onClose?: () => Promise<void>;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /**
   * Stops accepting, lets in-flight requests finish up to the grace period, then ends the rest (streams
   * with their front door's error event, answers not begun with a 503) and closes the connections.
   */
  shutdown(graceMs?: number): Promise<void>;
}

/**
 * How long a drain leaves idle keep-alive connections open: a client that sends on one meanwhile gets
 * its answer (and `connection: close`); one that stays silent is closed after it.
 */
const IDLE_LINGER_MS = 1000;

/**
 * How long the answers a drain's deadline ends (`cut`) get to leave before their connections are
 * destroyed: a stream's error event waits for its usage to be journaled, as its closing frames would.
 */
const CUT_WINDOW_MS = 1000;
/** How long the 503s written after that window get to leave. */
const REFUSAL_WINDOW_MS = 200;

/**
 * What a request still open at a drain's deadline is told: `unavailable` (503, retryable), as the
 * readiness probe already says `draining`. The request itself is fine and another replica can take it
 * at once; `timeout` would blame a slow upstream, `cancelled` (499) is the client's own leaving.
 */
const SHUTTING_DOWN = new GatewayError({ kind: 'unavailable', code: SERVER_SHUTDOWN_CODE, message: 'The server is shutting down; retry the request.' });

/**
 * Why its upstream is aborted: for the gateway, a cancellation like a client's leaving (the attempt is
 * billed what it used, and no deployment is blamed or retried for it), whose message says it was the
 * server's (the attempt a stream's cut settles is recorded with it) and whose cause is what its client
 * is told (the handler answers a request it ended so with `SHUTTING_DOWN`, `HttpRequest.signal`).
 */
const SHUT_DOWN = new GatewayError({ kind: 'cancelled', message: 'The server shut down before the answer was done.', cause: SHUTTING_DOWN });

/** Limits on what slow or greedy clients can hold: time to send the request, open connections. */
function serverOptions(cfg: GatewayConfig['server']): HttpServerOptions {
  return {
    keepAliveTimeout: cfg.keep_alive_timeout_ms,
    headersTimeout: cfg.headers_timeout_ms,
    // Node's requestTimeout bounds receiving the request (headers and body), not the answer.
    requestTimeout: cfg.body_timeout_ms,
    // How often those timeouts are checked; Node's default (30 s) would let them run up to twice as long.
    connectionsCheckingInterval: Math.min(1_000, cfg.headers_timeout_ms),
  };
}

/**
 * No API keys of either kind (loopback, or `allow_unauthenticated` behind something that authenticates):
 * every caller is the anonymous admin, and every connection keeps its idle window. Read per request, as a
 * reload may add or drop keys.
 */
function keysOff(config: GatewayConfig): boolean {
  return config.api_keys.length === 0 && config.keys.hmac_secret === undefined;
}

/** A connection between requests. */
const IDLE = Symbol('idle');

/** One request in flight: what a drain's deadline needs to end it (`cutExchange`). */
interface Exchange {
  readonly request: NodeRequest;
  readonly res: ServerResponse;
  readonly controller: Canceller;
  /** Its stream, once its answer is one being written. */
  writing?: Writing | undefined;
  /** A drain's deadline aborted it before its answer began: the handler answers it 503 (`SHUT_DOWN`'s cause). */
  cut?: boolean;
}

/** One exchange: the handler's answer, written to the response. */
async function serve(handle: HttpHandler, exchange: Exchange, stallMs: number, bodyLimit: number, gateway: Gateway): Promise<void> {
  const { request, res } = exchange;
  let answer;
  try {
    answer = await handle(request);
  } catch {
    // The handler answers every error itself; a rejection would be a bug, not the request's fault.
    res.destroy();
    return;
  }
  if (res.headersSent) {
    // A drain's deadline answered it already (503): a stream that opened meanwhile is closed unread.
    if (isBodyStream(answer.body)) void answer.body[Symbol.asyncIterator]().return?.();
    return;
  }
  // Node closes the connection after an answer that says so, rather than reading what the client still sends.
  if (request.closesAfterAnswer(bodyLimit)) answer.headers.connection = 'close';
  else request.countUnreadBody(bodyLimit);
  // Only a connection whose last key was accepted keeps an idle window (`keep_alive_timeout_ms`): anyone
  // could otherwise fill `max_connections` from public routes (probes, a public /metrics), unknown paths or
  // with a refused key. Probes and load balancers open a connection per check anyway; a scraper without a
  // key pays a handshake per scrape. One the drain's deadline ended (its 503, an answer decided) is the last.
  if ((!request.keyed && !keysOff(gateway.config)) || exchange.cut === true) answer.headers.connection = 'close';
  exchange.writing = writeAnswer(res, answer, stallMs);
}

/**
 * Ends an exchange still open at a drain's deadline: a stream with its front door's error event (or,
 * its answer whole already, its closing frames); its upstream is aborted either way, and a request
 * still waiting for its answer gets a 503 in its door's shape once the abort has ended it (the handler
 * answers `SHUT_DOWN`'s cause). An answer already decided (its usage on its way to the
 * journal, a stored response being saved) still leaves as it is: a 503 would have its client pay again.
 * A stream that cannot say so (not a front door's: the dashboard's feed) is cut off, as its connection
 * would be; an answer already handed to Node, or a stream whose last frames are decided, is left to leave.
 */
function cutExchange(exchange: Exchange): void {
  const { res, controller, writing } = exchange;
  if (writing?.ending === true) return;
  const cut = writing?.cut(SHUTTING_DOWN, SHUT_DOWN);
  exchange.cut = writing === undefined;
  controller.abort(SHUT_DOWN);
  if (cut !== undefined || res.writableEnded || writing === undefined) return;
  if (res.headersSent) res.destroy();
}

/**
 * node:http, loaded by the first server rather than by importing the package: ~3.5 ms of the cold start
 * of a library user or function that never serves HTTP itself.
 */
const loadHttp = (): typeof Http => createRequire(import.meta.url)('node:http') as typeof Http;

/** A node:http server running the gateway, as `createHttpServer` makes it. */
export type GatewayHttpServer = Server & {
  draining: boolean;
  readonly inFlight: number;
  /** Its open connections (a drain closes those still open at its end). */
  readonly connections: ReadonlySet<Socket>;
  /** Ends every request still in flight (a drain's deadline): see `cutExchange`. */
  cutInFlight(): void;
  /** Answers 503 every request still without an answer after `cutInFlight` had its time; true if any. */
  refuseUnanswered(): boolean;
};

/** The gateway's handler on node:http: the thinnest layer, which measured fastest. */
export function createHttpServer(gateway: Gateway, options: ServerOptions = {}): GatewayHttpServer {
  const state = { draining: false };
  // The request each connection is serving, found at a drain's deadline through its connection: a Set of
  // every request in flight, added to and deleted from per request, cost streams ~1.4x and JSON answers
  // ~1.2x the CPU at 64 connections (bench/ab.mjs, three runs); a connection's slot is only rewritten.
  const connections = new Set<Socket>();
  const serving = new WeakMap<Socket, Exchange | typeof IDLE>();
  let inFlight = 0;
  const inFlightExchanges = (): Exchange[] => {
    const found: Exchange[] = [];
    for (const socket of connections) {
      const e = serving.get(socket);
      if (e !== undefined && e !== IDLE) found.push(e);
    }
    return found;
  };
  const handle = createHttpHandler(gateway, { ...options, isDraining: () => state.draining });
  const cfg = gateway.config.server;
  const stallMs = gateway.config.routing.stream_idle_timeout_ms;
  const cors = createCors(cfg.allowed_origins);
  // In the door's shape (by path), with CORS as the handler gives it; the connection closes after it.
  const shuttingDown = (request: NodeRequest): HttpResponse => {
    let answer = defaultErrorResponse(SHUTTING_DOWN, request.path, cfg.base_path);
    const origin = request.headers.origin;
    if (cors !== undefined && origin !== undefined) answer = cors.reveal(origin, answer);
    answer.headers.connection = 'close';
    return answer;
  };

  const server = loadHttp().createServer(serverOptions(cfg), (req, res) => {
    // A Canceller, not an AbortController: an AbortSignal is an EventTarget, ~11 µs to build and listen to.
    const controller = new Canceller();
    const request = new NodeRequest(req, controller.signal);
    const exchange: Exchange = { request, res, controller, writing: undefined };
    inFlight += 1;
    const socket = req.socket;
    serving.set(socket, exchange);
    // 'close' follows the answer's last write (or the connection's end): the access log line and the
    // span's end run then, outside the request's latency.
    res.once('close', () => {
      inFlight -= 1;
      // Its request graph is not kept for the connection's idle time.
      if (serving.get(socket) === exchange) serving.set(socket, IDLE);
      if (!res.writableFinished) controller.abort(new GatewayError({ kind: 'cancelled', message: 'The client disconnected.' }));
      request.answered();
    });
    if (state.draining) res.setHeader('connection', 'close');
    void serve(handle, exchange, stallMs, cfg.body_limit_bytes, gateway);
  });
  server.maxConnections = cfg.max_connections;
  server.on('clientError', clientErrorAnswer(cors, cfg.base_path));
  server.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  return Object.defineProperties(server, {
    draining: { get: () => state.draining, set: (v: boolean) => (state.draining = v) },
    inFlight: { get: () => inFlight },
    connections: { value: connections },
    cutInFlight: { value: () => inFlightExchanges().forEach(cutExchange) },
    refuseUnanswered: {
      value: (): boolean => {
        const unanswered = inFlightExchanges().filter((e) => !e.res.headersSent && !e.res.destroyed);
        for (const e of unanswered) writeAnswer(e.res, shuttingDown(e.request), stallMs);
        return unanswered.length > 0;
      },
    },
  }) as GatewayHttpServer;
}

/** Starts the server and returns a handle for graceful shutdown. */
export async function startServer(gateway: Gateway, options: ServerOptions & { port?: number; host?: string } = {}): Promise<RunningServer> {
  const server = createHttpServer(gateway, options);
  const sockets = server.connections;
  const cfg = gateway.config.server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? cfg.port, options.host ?? cfg.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? cfg.host;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    async shutdown(graceMs = cfg.shutdown_grace_ms) {
      server.draining = true;
      // Stop accepting with net's close, not http's: http's would also destroy idle keep-alive
      // connections at once, resetting a request already on its way on one. Each request on them is
      // answered with `connection: close` instead, and connections still idle are closed after a linger.
      const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
      const start = Date.now();
      const deadline = start + graceMs;
      const lingerUntil = start + Math.min(graceMs, IDLE_LINGER_MS);
      await waitFor(() => Date.now() >= deadline || (server.inFlight === 0 && (sockets.size === 0 || Date.now() >= lingerUntil)));
      if (server.inFlight > 0) {
        // Rather than a stream cut mid-chunk, which a client cannot tell from a network fault.
        server.cutInFlight();
        const cutUntil = Date.now() + CUT_WINDOW_MS;
        await waitFor(() => server.inFlight === 0 || Date.now() >= cutUntil);
        // Still no answer (a handler that did not end on the abort): the 503 itself, then a moment to leave.
        if (server.refuseUnanswered()) {
          const refusedUntil = Date.now() + REFUSAL_WINDOW_MS;
          await waitFor(() => server.inFlight === 0 || Date.now() >= refusedUntil);
        }
      }
      for (const s of sockets) s.destroy();
      await closed;
      await (options.onClose ? options.onClose() : gateway.close());
    },
  };
}

/** Resolves once `done()` holds, checked every 25 ms. */
async function waitFor(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setTimeout(r, 25));
}
