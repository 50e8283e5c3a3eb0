import { createServer, type IncomingMessage, type Server, type ServerOptions as HttpServerOptions, type ServerResponse } from 'node:http';
import { Server as NetServer, type AddressInfo, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { GatewayError, toGatewayError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import type { Gateway, ServedBy } from '../gateway/gateway.js';
import type { GatewayConfig } from '../config/schema.js';
import { createAuthenticator, NOBODY, type Caller } from './auth.js';
import { answerClientError } from './client-error.js';
import { errorChain, exposesUpstream, sendError, sendJson } from './http-util.js';
import { API_ROUTES, type CostFn, type Route, type RouteContext } from './routes.js';

export interface ServerOptions {
  logger?: Logger;
  /** One line per request; defaults to `logger`. */
  accessLogger?: Logger;
  /** Routes added by feature modules (status, usage, metrics). */
  routes?: readonly Route[];
  /** Prices an answer for the `x-switchyard-cost-usd` header and the usage extension. */
  costOf?: CostFn;
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

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** One request's context; a class so every request shares one shape and one `url` getter. */
class RequestContext implements RouteContext {
  caller: Caller = NOBODY;
  servedBy: ServedBy | undefined = undefined;
  private parsedUrl: URL | undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly gateway: Gateway,
    readonly requestId: string,
    readonly signal: AbortSignal,
    readonly bodyLimit: number,
    readonly costOf: CostFn | undefined,
  ) {}

  /** Parsed on first use: only a few routes read the query string. */
  get url(): URL {
    return (this.parsedUrl ??= new URL(this.req.url ?? '/', 'http://gateway.local'));
  }
}

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

/** The HTTP front of a gateway, on node:http: the thinnest layer that measured fastest. */
export function createHttpServer(gateway: Gateway, options: ServerOptions = {}): Server & { draining: boolean; inFlight: number } {
  const logger = options.logger ?? silentLogger;
  const accessLog = options.accessLogger ?? logger;
  const cfg = gateway.config.server;
  const authenticate = createAuthenticator(gateway.config);
  const table = new Map<string, Route>();
  const paths = new Set<string>();
  for (const r of [...API_ROUTES, ...(options.routes ?? [])]) {
    table.set(`${r.method} ${r.path}`, r);
    paths.add(r.path);
  }
  table.set('GET /healthz', { method: 'GET', path: '/healthz', public: true, handle: async ({ res }) => sendJson(res, 200, { status: 'ok' }) });
  table.set('GET /readyz', {
    method: 'GET',
    path: '/readyz',
    public: true,
    handle: async ({ res }) => {
      const ready = !state.draining && gateway.ready();
      sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : state.draining ? 'draining' : 'no routable deployment' });
    },
  });
  paths.add('/healthz');
  paths.add('/readyz');

  const state = { draining: false, inFlight: 0 };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    // Our own id always: the ledger keys usage events by it, so a client reusing an id must not be
    // able to make later requests' usage vanish as duplicates. The client's id is kept for the log.
    const requestId = randomUUID();
    const incomingId = req.headers['x-request-id'];
    const clientRequestId = typeof incomingId === 'string' && REQUEST_ID.test(incomingId) ? incomingId : undefined;
    const q = req.url?.indexOf('?') ?? -1;
    const path = q === -1 ? (req.url ?? '/') : (req.url ?? '/').slice(0, q);
    const route = table.get(`${req.method} ${path}`);
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new GatewayError({ kind: 'cancelled', message: 'The client disconnected.' }));
    });
    if (state.draining) res.setHeader('connection', 'close');
    const ctx = new RequestContext(req, res, gateway, requestId, controller.signal, cfg.body_limit_bytes, options.costOf);
    try {
      if (!route) {
        const known = paths.has(path);
        throw new GatewayError({
          kind: known ? 'invalid_request' : 'not_found',
          status: known ? 405 : 404,
          code: known ? 'method_not_allowed' : 'unknown_route',
          message: known ? `Method ${req.method} is not allowed on ${path}.` : `Unknown route ${path}.`,
        });
      }
      if (!route.public) ctx.caller = authenticate(req);
      await route.handle(ctx);
    } catch (err) {
      const error = toGatewayError(err);
      if (error.kind === 'internal') logger.error({ requestId, err: errorChain(err) }, 'internal error');
      sendError(res, error, { 'x-request-id': requestId }, exposesUpstream(gateway.config, error.deployment));
    } finally {
      if (route && !route.public) {
        const s = ctx.servedBy;
        accessLog.info(
          {
            requestId,
            clientRequestId,
            method: req.method,
            path,
            status: res.statusCode,
            ms: Math.round((performance.now() - started) * 10) / 10,
            key: ctx.caller.keyId,
            deployment: s?.deployment,
            attempts: s?.attempts,
          },
          'request',
        );
      }
    }
  }

  const server = createServer(serverOptions(cfg), (req, res) => {
    state.inFlight += 1;
    res.once('close', () => {
      state.inFlight -= 1;
    });
    void handle(req, res);
  });
  server.maxConnections = cfg.max_connections;
  server.on('clientError', answerClientError);
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
