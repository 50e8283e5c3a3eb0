import { randomUUID } from 'node:crypto';
import { GatewayError, toGatewayError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import type { Gateway, ServedBy } from '../gateway/gateway.js';
import { INGRESSES } from '../ingress/index.js';
import { createAuthenticator, NOBODY, type Caller } from './auth.js';
import { readBody } from './body.js';
import { isBodyStream, type HttpHandler, type HttpRequest, type HttpResponse } from './exchange.js';
import { errorChain, errorResponse, exposesUpstream, jsonResponse } from './respond.js';
import type { CostFn, Ingress, Route, RouteContext } from './route.js';

export interface HandlerOptions {
  logger?: Logger;
  /** One line per request; defaults to `logger`. */
  accessLogger?: Logger;
  /** The front doors; all of them (src/ingress/) when not given. */
  ingresses?: readonly Ingress[];
  /** Routes added by feature modules (status, usage); their errors take the first front door's shape. */
  routes?: readonly Route[];
  /** Prices an answer for the `x-switchyard-cost-usd` header and the usage extension. */
  costOf?: CostFn;
  /** True while the runtime drains for shutdown: readiness then answers 503. */
  isDraining?: () => boolean;
}

/** A route with the front door whose error shape it answers in. */
interface Entry {
  route: Route;
  ingress: Ingress;
}

/** What the handler shares with every request's context: set up once, never per request. */
interface Shared {
  gateway: Gateway;
  costOf: CostFn | undefined;
  accessLog: Logger;
  bodyLimit: number;
  bodyTimeoutMs: number;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** One request's context; a class so every request shares one shape and one lazy `query` getter. */
class RequestContext implements RouteContext {
  caller: Caller = NOBODY;
  servedBy: ServedBy | undefined = undefined;
  private parsedQuery: URLSearchParams | undefined;
  private readonly started = performance.now();

  constructor(
    readonly request: HttpRequest,
    readonly requestId: string,
    private readonly shared: Shared,
  ) {}

  get gateway(): Gateway {
    return this.shared.gateway;
  }

  get costOf(): CostFn | undefined {
    return this.shared.costOf;
  }

  get query(): URLSearchParams {
    return (this.parsedQuery ??= new URLSearchParams(this.request.query));
  }

  body(): Promise<Uint8Array> {
    return readBody(this.request, this.shared.bodyLimit, this.shared.bodyTimeoutMs);
  }

  streamEnded(): void {
    this.logAccess(200);
  }

  logAccess(status: number): void {
    const id = this.request.headers['x-request-id'];
    const s = this.servedBy;
    this.shared.accessLog.info(
      {
        requestId: this.requestId,
        clientRequestId: id !== undefined && REQUEST_ID.test(id) ? id : undefined,
        method: this.request.method,
        path: this.request.path,
        status,
        ms: Math.round((performance.now() - this.started) * 10) / 10,
        key: this.caller.keyId,
        deployment: s?.deployment,
        attempts: s?.attempts,
      },
      'request',
    );
  }
}

/** The routes by path, then by method: a miss on the method is a 405, a miss on the path a 404. */
function routeTable(ingresses: readonly Ingress[], features: readonly Route[], health: readonly Route[]): Map<string, Map<string, Entry>> {
  const fallback = ingresses[0];
  if (!fallback) throw new Error('createHttpHandler needs at least one front door (ingress).');
  const table = new Map<string, Map<string, Entry>>();
  const add = (route: Route, ingress: Ingress): void => {
    const methods = table.get(route.path) ?? new Map<string, Entry>();
    methods.set(route.method, { route, ingress });
    table.set(route.path, methods);
  };
  for (const ingress of ingresses) for (const r of ingress.routes) add(r, ingress);
  for (const r of [...features, ...health]) add(r, fallback);
  return table;
}

function unrouted(request: HttpRequest, knownPath: boolean): GatewayError {
  return new GatewayError({
    kind: knownPath ? 'invalid_request' : 'not_found',
    status: knownPath ? 405 : 404,
    code: knownPath ? 'method_not_allowed' : 'unknown_route',
    message: knownPath ? `Method ${request.method} is not allowed on ${request.path}.` : `Unknown route ${request.path}.`,
  });
}

/**
 * The whole gateway behind one runtime-neutral function: routes, auth, body limits, encoding, errors
 * in the front door's shape, request ids and the access log. Every runtime adapter calls this.
 */
export function createHttpHandler(gateway: Gateway, options: HandlerOptions = {}): HttpHandler {
  const logger = options.logger ?? silentLogger;
  const isDraining = options.isDraining ?? (() => false);
  const authenticate = createAuthenticator(gateway.config);
  const health: Route[] = [
    { method: 'GET', path: '/healthz', public: true, handle: async () => jsonResponse(200, { status: 'ok' }) },
    {
      method: 'GET',
      path: '/readyz',
      public: true,
      handle: async () => {
        const draining = isDraining();
        const ready = !draining && gateway.ready();
        return jsonResponse(ready ? 200 : 503, { status: ready ? 'ready' : draining ? 'draining' : 'no routable deployment' });
      },
    },
  ];
  const ingresses = options.ingresses ?? INGRESSES;
  const table = routeTable(ingresses, options.routes ?? [], health);
  const fallback = ingresses[0] as Ingress;
  const shared: Shared = {
    gateway,
    costOf: options.costOf,
    accessLog: options.accessLogger ?? logger,
    bodyLimit: gateway.config.server.body_limit_bytes,
    bodyTimeoutMs: gateway.config.server.body_timeout_ms,
  };

  return async function handle(request) {
    // Our own id always: the ledger keys usage events by it, so a client reusing an id must not be
    // able to make later requests' usage vanish as duplicates. The client's id is kept for the log.
    const ctx = new RequestContext(request, randomUUID(), shared);
    const methods = table.get(request.path);
    const entry = methods?.get(request.method);
    let answer: HttpResponse;
    try {
      if (!entry) throw unrouted(request, methods !== undefined);
      if (!entry.route.public) ctx.caller = authenticate(request.headers);
      answer = await entry.route.handle(ctx);
    } catch (err) {
      const error = toGatewayError(err);
      if (error.kind === 'internal') logger.error({ requestId: ctx.requestId, err: errorChain(err) }, 'internal error');
      const body = (entry?.ingress ?? fallback).encodeError(error, exposesUpstream(gateway.config, error.deployment));
      answer = errorResponse(error, body, { 'x-request-id': ctx.requestId });
    }
    // A stream logs when it ends (RouteContext.streamEnded); anything else is answered now.
    if (entry && !entry.route.public && !isBodyStream(answer.body)) ctx.logAccess(answer.status);
    return answer;
  };
}
