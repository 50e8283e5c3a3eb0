import { channel } from 'node:diagnostics_channel';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GatewayError } from '../../core/errors.js';
import { isObject } from '../../core/json.js';
import { unconfiguredErrorResponse } from '../../http/handler.js';

/**
 * functions-framework runs Express's body parsers before the function: they would buffer every body,
 * whatever its type, up to their own 1024 MB (and inflate a gzip, deflate or br one to as much), and
 * parse it as JSON, before the gateway had checked the API key or applied `server.body_limit_bytes`.
 * The parsers pick a body by its Content-Type and Content-Encoding, so both are taken off the request
 * at its start (`hiddenHeaders` gives them back): they pass every body by, and the function reads it
 * from the stream under the gateway's limit and `server.body_timeout_ms`, once authentication has let
 * the request through, as on every runtime.
 *
 * What Express's router cannot decode (a path that is not percent-encoding) goes to Express's default
 * handler: an HTML page, and the error logged (GoogleCloudPlatform/functions-framework-nodejs#686).
 * The framework has no hook for it, but its server's request listener is an Express app, which takes
 * error-handling middleware: ours, appended when the server sees its first request, records the path
 * as sent and hands the request to the app once more with the path `/`, which calls the function
 * (whichever the framework serves). The function reads the record (`frameworkRefusal`) and the gateway
 * answers in the door's own shape.
 *
 * Only the framework's own server is touched: another server in the process, an Express app of the
 * user's among them, is left as it is.
 */
export interface FrameworkRefusal {
  /** The request-target as sent, when Express could not decode it and the app was handed `/` instead. */
  readonly url: string;
}

/** The part of an Express app this uses: it is a request listener that takes error-handling middleware. */
interface ExpressApp {
  (req: IncomingMessage, res: ServerResponse, done: (error?: unknown) => void): void;
  use(middleware: ErrorMiddleware): unknown;
}

type ErrorMiddleware = (error: unknown, req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

const records = new WeakMap<IncomingMessage, FrameworkRefusal>();
const hidden = new WeakMap<IncomingMessage, HiddenHeaders>();
/** Each server seen, and whether it is functions-framework's. */
const servers = new WeakMap<object, boolean>();
// Node publishes it before the server's 'request' event; held here, so the channel and its subscriber live as long as the module.
const requestStart = channel('http.server.request.start');
let marker: unknown;
let subscribed = false;

/** Why functions-framework refused `req` before handing it to the function over again, if it did. */
export function frameworkRefusal(req: IncomingMessage): FrameworkRefusal | undefined {
  return records.get(req);
}

/** The headers `req` was sent with that the framework's body parsers were not shown. */
export interface HiddenHeaders {
  readonly 'content-type'?: string;
  readonly 'content-encoding'?: string;
}

/** The Content-Type and Content-Encoding `req` was sent with, taken off before the framework's parsers saw it. */
export function hiddenHeaders(req: IncomingMessage): HiddenHeaders | undefined {
  return hidden.get(req);
}

/** Appends the refusal middleware to functions-framework's Express app, at its server's first request. */
export function answerFrameworkRefusals(): void {
  if (subscribed) return;
  marker = frameworkMiddleware();
  subscribed = true;
  requestStart.subscribe(onRequestStart);
}

/**
 * A middleware the framework's server.js puts on every app it builds and nothing else does, by identity:
 * the framework's app is told from any other by it. From the copy `http()` registers the function with.
 */
function frameworkMiddleware(): unknown {
  const require = createRequire(import.meta.url);
  const main = require.resolve('@google-cloud/functions-framework');
  const middleware = (require(join(dirname(main), 'execution_context.js')) as { executionContextMiddleware?: unknown }).executionContextMiddleware;
  // Without it no server would be told apart, and the parsers would buffer every body again: fail at registration.
  if (typeof middleware !== 'function') throw new Error('functions-framework has no executionContextMiddleware: this version is not supported');
  return middleware;
}

function onRequestStart(message: unknown): void {
  const { server, request } = message as { server?: unknown; request?: IncomingMessage };
  if (!(server instanceof EventEmitter)) return;
  let framework = servers.get(server);
  if (framework === undefined) {
    const app = server.listeners('request').find(isFrameworkApp);
    framework = app !== undefined;
    servers.set(server, framework);
    app?.use(handBack(app));
  }
  if (framework && request !== undefined) hideBody(request);
}

function isFrameworkApp(listener: unknown): listener is ExpressApp {
  if (typeof listener !== 'function' || typeof (listener as { use?: unknown }).use !== 'function') return false;
  const stack = (listener as { router?: { stack?: unknown } }).router?.stack;
  return Array.isArray(stack) && stack.some((layer) => isObject(layer) && layer.handle === marker);
}

/** Keeps the framework's parsers from reading the body: none takes a request without a Content-Type. */
function hideBody(req: IncomingMessage): void {
  const { 'content-type': type, 'content-encoding': coding } = req.headers;
  if (type === undefined && coding === undefined) return;
  hidden.set(req, { ...(type === undefined ? {} : { 'content-type': type }), ...(coding === undefined ? {} : { 'content-encoding': coding }) });
  delete req.headers['content-type'];
  delete req.headers['content-encoding'];
}

function handBack(app: ExpressApp): ErrorMiddleware {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const url = records.get(req)?.url;
    if (error instanceof URIError && url === undefined) {
      // Every route the framework sets is `/{*splat}`, which Express cannot match without decoding the path.
      records.set(req, { url: req.url ?? '/' });
      req.url = '/';
      app(req, res, () => answerHere(req, res, records.get(req)?.url, refusal(error)));
      return;
    }
    answerHere(req, res, url, refusal(error));
  };
}

/** Our answer to what the app failed with when handed back a request, never expected: the path's, or the framework's own failure. */
function refusal(error: unknown): GatewayError {
  if (error instanceof URIError) return new GatewayError({ kind: 'invalid_request', code: 'invalid_path', message: 'The request path is not valid percent-encoding.' });
  return new GatewayError({ kind: 'internal', message: 'The gateway failed to handle the request.' });
}

/** The last resort: the app failed the request again once handed back, so no function runs. */
function answerHere(req: IncomingMessage, res: ServerResponse, url: string | undefined, error: GatewayError): void {
  const target = url ?? req.url ?? '/';
  const mark = target.indexOf('?');
  const { status, headers, body } = unconfiguredErrorResponse(error, mark === -1 ? target : target.slice(0, mark));
  // node:http reads and drops whatever of the body is left once the answer has ended.
  res.writeHead(status, headers).end(body);
}
