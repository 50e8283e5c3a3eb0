import type * as Http from 'node:http';
import type { ServerOptions as HttpServerOptions, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { Server as NetServer, type AddressInfo, type Socket } from 'node:net';
import { Canceller } from '../../core/cancel.js';
import { GatewayError } from '../../core/errors.js';
import type { Gateway } from '../../gateway/gateway.js';
import type { GatewayConfig } from '../../config/schema.js';
import type { HttpHandler } from '../../http/exchange.js';
import { createHttpHandler, type HandlerOptions } from '../../http/handler.js';
import { createCors } from '../../http/cors.js';
import { clientErrorAnswer } from './client-error.js';
import { NodeRequest } from './request.js';
import { writeAnswer } from './respond.js';

export interface ServerOptions extends Omit<HandlerOptions, 'isDraining'> {
  /** Runs after the server has drained; closes the gateway when not given. */
  onClose?: () => Promise<void>;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** Stops accepting, lets in-flight requests finish up to the grace period, then closes the rest. */
  shutdown(graceMs?: number): Promise<void>;
}

/**
 * How long a drain leaves idle keep-alive connections open: a client that sends on one meanwhile gets
 * its answer (and `connection: close`); one that stays silent is closed after it.
 */
const IDLE_LINGER_MS = 1000;

/** Limits on what slow or greedy clients can hold: time to send the request, open connections. */
function serverOptions(cfg: GatewayConfig['server']): HttpServerOptions {
  return {
    keepAliveTimeout: 65_000,
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

/** One exchange: the handler's answer, written to the response. */
async function serve(handle: HttpHandler, request: NodeRequest, res: ServerResponse, stallMs: number, bodyLimit: number, gateway: Gateway): Promise<void> {
  let answer;
  try {
    answer = await handle(request);
  } catch {
    // The handler answers every error itself; a rejection would be a bug, not the request's fault.
    res.destroy();
    return;
  }
  // Node closes the connection after an answer that says so, rather than reading what the client still sends.
  if (request.closesAfterAnswer(bodyLimit)) answer.headers.connection = 'close';
  else request.countUnreadBody(bodyLimit);
  // Only a connection that has shown a key keeps an idle window (65 s): anyone could otherwise fill
  // `max_connections` from public routes (probes, a public /metrics) or unknown paths. Probes and load
  // balancers open a connection per check anyway; a scraper without a key pays a handshake per scrape.
  if (!request.keyed && !keysOff(gateway.config)) answer.headers.connection = 'close';
  writeAnswer(res, answer, stallMs);
}

/**
 * node:http, loaded by the first server rather than by importing the package: ~3.5 ms of the cold start
 * of a library user or function that never serves HTTP itself.
 */
const loadHttp = (): typeof Http => createRequire(import.meta.url)('node:http') as typeof Http;

/** The gateway's handler on node:http: the thinnest layer, which measured fastest. */
export function createHttpServer(gateway: Gateway, options: ServerOptions = {}): Server & { draining: boolean; inFlight: number } {
  const state = { draining: false, inFlight: 0 };
  const handle = createHttpHandler(gateway, { ...options, isDraining: () => state.draining });
  const cfg = gateway.config.server;
  const stallMs = gateway.config.routing.stream_idle_timeout_ms;

  const server = loadHttp().createServer(serverOptions(cfg), (req, res) => {
    state.inFlight += 1;
    // A Canceller, not an AbortController: an AbortSignal is an EventTarget, ~11 µs to build and listen to.
    const controller = new Canceller();
    const request = new NodeRequest(req, controller.signal);
    // 'close' follows the answer's last write (or the connection's end): the access log line and the
    // span's end run then, outside the request's latency.
    res.once('close', () => {
      state.inFlight -= 1;
      if (!res.writableFinished) controller.abort(new GatewayError({ kind: 'cancelled', message: 'The client disconnected.' }));
      request.answered();
    });
    if (state.draining) res.setHeader('connection', 'close');
    void serve(handle, request, res, stallMs, cfg.body_limit_bytes, gateway);
  });
  server.maxConnections = cfg.max_connections;
  server.on('clientError', clientErrorAnswer(createCors(cfg.allowed_origins), cfg.base_path));
  return Object.defineProperties(server, {
    draining: { get: () => state.draining, set: (v: boolean) => (state.draining = v) },
    inFlight: { get: () => state.inFlight },
  }) as Server & { draining: boolean; inFlight: number };
}

/** Starts the server and returns a handle for graceful shutdown. */
export async function startServer(gateway: Gateway, options: ServerOptions & { port?: number; host?: string } = {}): Promise<RunningServer> {
  const server = createHttpServer(gateway, options);
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
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
      for (;;) {
        const now = Date.now();
        if (now >= deadline || (server.inFlight === 0 && (sockets.size === 0 || now >= lingerUntil))) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      for (const s of sockets) s.destroy();
      await closed;
      await (options.onClose ? options.onClose() : gateway.close());
    },
  };
}
