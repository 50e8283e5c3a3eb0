import { randomUUID } from 'node:crypto';
import type { CancelSignal } from '../core/cancel.js';
import { ErrorTrace } from '../core/error-trace.js';
import { GatewayError, toGatewayError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import type { GatewayConfig } from '../config/schema.js';
import type { Gateway } from '../gateway/gateway.js';
import { INGRESSES } from '../ingress/index.js';
import { failureCostHeaders } from '../ingress/extras.js';
import { memoryConversations, type Conversations } from '../ingress/openai-responses/store/conversations.js';
import { createAuthenticator, NOBODY, refuseScrapeOnly, type Caller } from './auth.js';
import { createBasePath, underBasePath } from './base-path.js';
import { createBrowserGuard } from './browser-guard.js';
import { createCors, isPreflight } from './cors.js';
import { isBodyStream, type HeaderMap, type HttpHandler, type HttpRequest, type HttpResponse } from './exchange.js';
import { errorResponse, exposesUpstream, jsonResponse } from './respond.js';
import type { CostFn, Ingress, Route, RouteContext, StartSpan } from './route.js';
import { allowedMethods, RouteTable, type Entry, type Found } from './route-table.js';
import { RequestContext, type Shared } from './request-context.js';
import { serverTiming } from './server-timing.js';

export interface HandlerOptions {
  logger?: Logger;
  /** One line per request; defaults to `logger`. */
  accessLogger?: Logger;
  /** The front doors; all of them (src/ingress/) when not given. */
  ingresses?: readonly Ingress[];
  /** Routes added by feature modules (status, usage, admin); their errors take the first front door's shape. */
  routes?: readonly Route[];
  /** Prices an answer for the `x-switchyard-cost-usd` header and the usage extension. */
  costOf?: CostFn;
  /**
   * The stored Responses conversations of the current app (createApp's: in its ledger database when it
   * has one); undefined when its `responses.store` is off. Called once per Responses request, so a
   * reload's store takes the next one. Without it, a config that enables storage keeps conversations in
   * this handler's memory, and the handler says so in its log.
   */
  conversations?: () => Conversations | undefined;
  /** True while the runtime drains for shutdown: readiness then answers 503. */
  isDraining?: () => boolean;
  /** Who a request's credentials name; the gateway config's `api_keys` when not given. Called per request. */
  authenticate?: (headers: HeaderMap) => Caller;
  /** Opens the span (metrics, traces) of each authenticated request an observed route takes; ended with the access log line. */
  startSpan?: StartSpan;
  /** Told of every error answer to an authenticated caller of a routed request (policy denials go to the audit log). */
  onError?: (error: GatewayError, ctx: RouteContext) => void;
  /**
   * Resolves once what requests recorded is durable (the ledger's journal; undefined when nothing
   * waits). No answer leaves before: a whole answer is returned after it, a stream's closing frames
   * wait for it. `alone`: no other request is open in this handler, so none could share the write.
   */
  beforeAnswer?: (alone: boolean) => Promise<void> | undefined;
  /**
   * Refuses what a browser on another site could send (src/http/browser-guard.ts); every route but the
   * health checks. Cross-origin requests with the config's `server.allowed_origins` when not given.
   */
  browserGuard?: (request: HttpRequest) => void;
}


/** The front doors' routes, then the feature and health routes answering in the first front door's shape. */
function routeTable(ingresses: readonly Ingress[], features: readonly Route[], health: readonly Route[]): RouteTable {
  const fallback = ingresses[0];
  if (!fallback) throw new Error('createHttpHandler needs at least one front door (ingress).');
  const table = new RouteTable();
  for (const ingress of ingresses) for (const r of ingress.routes) table.add(r, ingress);
  for (const r of [...features, ...health]) table.add(r, fallback);
  return table;
}

/**
 * The front door a request no route took belongs to, by path (`/v1/messages/batches` is Anthropic's,
 * and so are `//v1/messages`, a base URL's slash doubled, and `/v1/v1/messages`, its `/v1`): its error
 * comes in that API's shape. The first door for anything else.
 */
function doorOf(ingresses: readonly Ingress[], path: string, fallback: Ingress): Ingress {
  return doorAt(ingresses, path) ?? fallback;
}

function doorAt(ingresses: readonly Ingress[], path: string): Ingress | undefined {
  return entryAt(ingresses, path)?.ingress;
}

/** The route (and its door) whose path a request's path is or lies under, as `doorOf` finds it. */
function entryAt(ingresses: readonly Ingress[], path: string): Entry | undefined {
  const collapsed = path.replace(/\/{2,}/g, '/');
  const single = undoubledV1(collapsed) ?? collapsed;
  const trimmed = single.endsWith('/') ? single.slice(0, -1) : single;
  for (const ingress of ingresses) {
    const route = ingress.routes.find((r) => trimmed === r.path || trimmed.startsWith(`${r.path}/`));
    if (route) return { route, ingress };
  }
  return undefined;
}

/**
 * The front door whose shape a refusal takes: the route's, or for a request no route took (404, 405)
 * its path's, unless that route hands this request's errors to another door (`Route.errorDoor`).
 */
function errorDoor(ingresses: readonly Ingress[], request: HttpRequest, entry: Entry | undefined, fallback: Ingress): Ingress {
  const at = entry ?? entryAt(ingresses, request.path);
  if (!at) return fallback;
  return at.route.errorDoor?.(request) ?? at.ingress;
}

/**
 * `/v1/v1/messages` → `/v1/messages`: a client whose base URL already ends in `/v1` and adds its own
 * (the Anthropic SDK and Claude Code take `http://host:port`, the OpenAI SDK `http://host:port/v1`).
 */
function undoubledV1(path: string): string | undefined {
  return path.startsWith('/v1/v1/') ? path.slice(3) : undefined;
}

/**
 * A 404 or 405 in words that quote nothing of the path but what a route spells out: a key pasted where
 * an id goes (`/v1/switchyard/keys/{id}/revoke`) or into a base URL (`/v1/<key>/models`) would otherwise
 * come back in the message, which client and proxy logs keep. A 405 names the route's template, a 404
 * the path with every other segment as `*` (`RouteTable.shownPath`, as the access line writes it).
 */
function unrouted(request: HttpRequest, { knownPath, methods }: Found, table: RouteTable): GatewayError {
  const meant = knownPath ? undefined : undoubledV1(request.path);
  const meantRoute = meant === undefined ? undefined : table.find(request.method, meant, request.pathDecoded === true).methods;
  const hint = meantRoute ? ` Did you mean ${templateOf(meantRoute)}? The client's base URL ends in /v1, and the client adds /v1 itself.` : '';
  const shown = table.shownPath(request.path);
  const stars = shown.includes('*') ? ' (* stands for a segment no route has)' : '';
  return new GatewayError({
    kind: methods ? 'invalid_request' : 'not_found',
    status: methods ? 405 : 404,
    code: methods ? 'method_not_allowed' : 'unknown_route',
    message: methods ? `Method ${request.method} is not allowed on ${templateOf(methods)}.` : `Unknown route ${shown}${stars}.${hint}`,
    // RFC 9110: a 405 names the methods the path takes.
    headers: methods ? { allow: allowedMethods(methods) } : undefined,
  });
}

/** Whether a request's route is client work that may record usage: plumbing (probes, scrapes, the dashboard's feed) never does. */
function recordsUsage(entry: Entry | undefined): boolean {
  return entry !== undefined && entry.route.public !== true && entry.route.observed !== false;
}

/** The path of a known path's routes as written, `{name}` segments unfilled. */
function templateOf(methods: ReadonlyMap<string, Entry>): string {
  return (methods.values().next().value as Entry).route.path;
}

/**
 * A HEAD request's answer: the GET route's status and headers. A whole body stays for the runtime to
 * drop (node:http does, keeping its content-length as RFC 9110 asks); a stream is closed at once and
 * nothing of it is sent, so a HEAD on the dashboard's feed does not hold a snapshot timer open.
 */
function headOnly(answer: HttpResponse): HttpResponse {
  if (!isBodyStream(answer.body)) return answer;
  void answer.body[Symbol.asyncIterator]().return?.();
  return { status: answer.status, headers: answer.headers, body: NO_CHUNKS };
}

const NO_CHUNKS: AsyncIterable<string> = { [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve({ done: true, value: undefined }) }) };

/**
 * Stored Responses for a handler given no store (one built on `createGateway` alone, with no ledger):
 * this process's memory, said in the log, since a lost conversation is a client's 400 later.
 */
function inMemory(config: GatewayConfig, logger: Logger): (() => Conversations) | undefined {
  const cfg = config.responses.store;
  if (!cfg.enabled) return undefined;
  const log = logger.child({ component: 'responses' });
  log.warn({ maxResponses: cfg.max_memory_responses, maxBytes: cfg.max_memory_bytes }, 'responses.store.enabled, and no store given: stored responses live in this process\'s memory only (an app keeps them in its SQL ledger)');
  const conversations = memoryConversations(cfg, log);
  return () => conversations;
}

/**
 * The whole gateway behind one runtime-neutral function: routes, auth, CORS for the allowed origins,
 * body limits, encoding, errors in the front door's shape, request ids and the access log. Every
 * runtime adapter calls this.
 */
export function createHttpHandler(gateway: Gateway, options: HandlerOptions = {}): HttpHandler {
  const logger = options.logger ?? silentLogger;
  const isDraining = options.isDraining ?? (() => false);
  const authenticate = options.authenticate ?? createAuthenticator(gateway.config);
  const { startSpan, onError } = options;
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
  const browserGuard = options.browserGuard ?? createBrowserGuard({ allowedOrigins: gateway.config.server.allowed_origins });
  const basePath = createBasePath(gateway.config.server.base_path, (path) => table.shownPath(path));
  // Under a base path, what the guard runs on (every route but the probes, and preflights) is refused
  // outside it: kubelet and load-balancer probes reach /healthz and /readyz with or without the prefix.
  const guard =
    basePath === undefined
      ? browserGuard
      : (request: HttpRequest): void => {
          basePath.refuseOutside(request);
          browserGuard(request);
        };
  const cors = createCors(gateway.config.server.allowed_origins);
  const probes = new Set<Route>(health);
  const fallback = ingresses[0] as Ingress;
  const shared: Shared = {
    gateway,
    table,
    costOf: options.costOf,
    conversations: options.conversations ?? inMemory(gateway.config, logger),
    logger,
    accessLog: options.accessLogger ?? logger,
    bodyLimit: gateway.config.server.body_limit_bytes,
    bodyTimeoutMs: gateway.config.server.body_timeout_ms,
    beforeAnswer: options.beforeAnswer,
    authenticate,
    open: 0,
    serverTiming: gateway.config.server.server_timing,
  };

  /**
   * What no route took: a CORS preflight (OPTIONS for a known path; no key, browsers send none) from an
   * allowed origin gets its 204, from another origin the browser guard's 403; anything else is a 404 or 405.
   */
  const unroutedAnswer = (request: HttpRequest, found: Found): HttpResponse => {
    // Outside the base path every path is unknown, one some route takes with another method included.
    basePath?.refuseOutside(request);
    if (found.methods && isPreflight(request.method, request.headers)) {
      guard(request);
      const answer = cors?.preflight(request.headers, allowedMethods(found.methods));
      if (answer) return answer;
    }
    throw unrouted(request, found, table);
  };

  return async function handle(sent) {
    const request = basePath === undefined ? sent : basePath.rebase(sent);
    // Our own id always: the ledger keys usage events by it, so a client reusing an id must not be
    // able to make later requests' usage vanish as duplicates. The client's id is kept for the log.
    const ctx = new RequestContext(request, randomUUID(), shared);
    // The error answer itself can fail (the runtime then answers): the request is not open any more.
    try {
      let entry: Entry | undefined;
      let answer: HttpResponse;
      try {
        const found = table.find(request.method, request.path, request.pathDecoded === true);
        entry = found.entry;
        if (!entry) {
          answer = unroutedAnswer(request, found);
        } else {
          ctx.params = found.params;
          ctx.routePath = entry.route.path;
          if (!probes.has(entry.route)) guard(request);
          if (!entry.route.public) {
            if (startSpan && entry.route.observed !== false) ctx.span = startSpan({ method: request.method, route: entry.route.path, path: request.path, originalPath: request.originalPath, scheme: request.scheme ?? 'http', httpVersion: request.httpVersion, headers: request.headers, requestId: ctx.requestId });
            let taken = false;
            try {
              ctx.caller = authenticate(request.headers);
              // Here rather than in each route: a route added later cannot forget to refuse a scrape key.
              if (!entry.route.scrape) refuseScrapeOnly(ctx.caller);
              taken = true;
            } finally {
              // The runtime's own request (a base path's rebased one only wraps it), told per request.
              sent.authenticated?.(taken);
            }
          }
          answer = await entry.route.handle(ctx);
          if (request.method === 'HEAD') answer = headOnly(answer);
        }
      } catch (err) {
        const error = asTold(toGatewayError(err), sent.signal);
        ctx.errorKind = error.kind;
        ctx.failure = error;
        if (error.kind === 'internal') logger.error({ requestId: ctx.requestId, err: ErrorTrace.of(err) }, 'internal error');
        // Only an authenticated caller's refusals are told (the audit log): a request the browser guard or
        // authentication refused names nobody, and anyone who can reach the port could write them.
        if (entry && onError && ctx.caller !== NOBODY) onError(error, ctx);
        const ingress = errorDoor(ingresses, request, entry, fallback);
        const body = ingress.encodeError(error, exposesUpstream(gateway.config, error.deployment), ctx.requestId);
        answer = errorResponse(error, body, { 'x-request-id': ctx.requestId });
        // A failure whose attempts were billed says so, as the ledger's rows do.
        const cost = failureCostHeaders(ctx.costOf, error.spent);
        if (cost) Object.assign(answer.headers, cost);
        if (ingress.errorAnswer) answer = { ...answer, status: ingress.errorAnswer(error, ctx.requestId, answer.headers) };
      }
      // Opt-in: it tells clients the upstream's timing. Model answers and errors only, as their headers leave,
      // to a caller authentication found: nobody else learns how long anything took.
      if (shared.serverTiming && ctx.caller !== NOBODY && (ctx.servedBy !== undefined || ctx.errorKind !== undefined)) answer.headers['server-timing'] = serverTiming(ctx.elapsedMs(), ctx.servedBy, ctx.failure?.upstreamMs);
      if (cors) {
        const origin = request.headers.origin;
        if (origin !== undefined) answer = cors.reveal(origin, answer);
      }
      // A stream finishes when it ends (RouteContext.streamEnded); anything else is answered now. Public
      // routes (probes every few seconds) write no access line; a request no route took does.
      if (!entry?.route.public && !isBodyStream(answer.body)) ctx.finish(answer.status);
      // A stream stays open until it ends (its closing frames wait for the journal); anything else is done,
      // and so is a stream that records no usage (the dashboard's feed, open for hours): counted as open,
      // it would keep every other request from ever being alone.
      const durable = isBodyStream(answer.body) && recordsUsage(entry) ? shared.beforeAnswer?.(false) : ctx.durable();
      if (durable) await durable;
      return answer;
    } catch (err) {
      ctx.abandon();
      throw err;
    }
  };
}

/**
 * A request the runtime ended itself (a drain's deadline: its signal's reason a cancellation caused by
 * the error its client is told, `HttpRequest.signal`) is answered with that error, billed as the
 * cancellation was, rather than as a client's leaving: its answer, access line and metrics say so.
 */
function asTold(error: GatewayError, signal: CancelSignal): GatewayError {
  if (error.kind !== 'cancelled' || !signal.aborted) return error;
  const reason: unknown = signal.reason;
  if (!GatewayError.isInstance(reason) || !GatewayError.isInstance(reason.cause)) return error;
  return error.spent === undefined ? reason.cause : reason.cause.withSpent(error.spent);
}

/**
 * An error answered outside any route (a serverless entry that could not build its app, an adapter's
 * own failure, a request Node's parser refused): in the error shape of the front door `path` belongs
 * to, the default one without a path, so runtimes carry no wire format of their own. `basePath` is the
 * config's `server.base_path`, taken off as the handler takes it off (`/llm/v1/messages` is Anthropic's).
 */
export function defaultErrorResponse(error: GatewayError, path?: string, basePath?: string): HttpResponse {
  const fallback = INGRESSES[0] as Ingress;
  const routed = path === undefined || basePath === undefined ? path : (underBasePath(path, basePath) ?? path);
  const ingress = routed === undefined ? fallback : doorOf(INGRESSES, routed, fallback);
  return errorResponse(error, ingress.encodeError(error, false), {});
}

/**
 * `defaultErrorResponse` before any config was read (a serverless build that failed loading it), so
 * before its base path is known: the front door whose path the request's path is, or ends in after
 * whole leading segments (`/llm/v1/messages` is Anthropic's under whatever prefix was configured).
 */
export function unconfiguredErrorResponse(error: GatewayError, path?: string): HttpResponse {
  const ingress = (path === undefined ? undefined : doorUnderAnyPrefix(path)) ?? (INGRESSES[0] as Ingress);
  return errorResponse(error, ingress.encodeError(error, false), {});
}

function doorUnderAnyPrefix(path: string): Ingress | undefined {
  for (let at = 0; at !== -1; at = path.indexOf('/', at + 1)) {
    const door = doorAt(INGRESSES, path.slice(at));
    if (door) return door;
  }
  return undefined;
}
