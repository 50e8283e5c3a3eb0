import { channel } from 'node:diagnostics_channel';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GatewayError } from '../../core/errors.js';
import { isObject } from '../../core/json.js';
import { tooLarge } from '../../http/body.js';
import { unconfiguredErrorResponse } from '../../http/handler.js';

/**
 * functions-framework runs Express's body parsers before the function, and hands what they refuse
 * (malformed JSON, an unknown charset, a body that does not match its Content-Length) and what
 * Express's router cannot decode (a path that is not percent-encoding) to Express's default handler:
 * an HTML page, and the error logged with the request body (GoogleCloudPlatform/functions-framework-nodejs#686). The framework has
 * no hook for it, but its server's request listener is an Express app, which takes error-handling
 * middleware: ours, appended when the server sees its first request, records why the request failed and
 * hands it to the app once more, which calls the function (whichever the framework serves) with the
 * body the parsers buffered (`rawBody`), or with the body finished so the parsers pass it by. The
 * function reads the record (`frameworkRefusal`) and the gateway answers in the door's own shape.
 *
 * The parsers would also inflate a gzip, deflate or br body up to their own 1024 MB, whatever the
 * gateway's limit: so a request's Content-Encoding is hidden from them (`sentCoding` gives it back),
 * they buffer the bytes as sent, and the gateway refuses them (415) as on every runtime.
 *
 * Only the framework's own server is touched: another server in the process, an Express app of the
 * user's among them, is left as it is.
 */
export interface FrameworkRefusal {
  /** The request-target as sent, when Express could not decode it and the app was handed `/` instead. */
  readonly url?: string;
  /** What reading the body answers when the parsers consumed it and kept nothing (`rawBody` unset). */
  readonly body?: (limit: number) => GatewayError;
}

/** The part of an Express app this uses: it is a request listener that takes error-handling middleware. */
interface ExpressApp {
  (req: IncomingMessage, res: ServerResponse, done: (error?: unknown) => void): void;
  use(middleware: ErrorMiddleware): unknown;
}

type ErrorMiddleware = (error: unknown, req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

interface Refusal extends FrameworkRefusal {
  /** The body's failure was handled once: another failure is answered here, never handed back again. */
  readonly settled: boolean;
}

const records = new WeakMap<IncomingMessage, Refusal>();
const codings = new WeakMap<IncomingMessage, string>();
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

/** The Content-Encoding `req` was sent with, which the framework's parsers were not shown. */
export function sentCoding(req: IncomingMessage): string | undefined {
  return codings.get(req);
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
  // Without it no server would be told apart, and coded bodies would be inflated again: fail at registration.
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
  if (framework && request !== undefined) hideCoding(request);
}

function isFrameworkApp(listener: unknown): listener is ExpressApp {
  if (typeof listener !== 'function' || typeof (listener as { use?: unknown }).use !== 'function') return false;
  const stack = (listener as { router?: { stack?: unknown } }).router?.stack;
  return Array.isArray(stack) && stack.some((layer) => isObject(layer) && layer.handle === marker);
}

/** Keeps a coded body from being inflated: the parsers buffer it as sent, and the handler is told its coding. */
function hideCoding(req: IncomingMessage): void {
  const coding = req.headers['content-encoding'];
  if (coding === undefined) return;
  codings.set(req, coding);
  delete req.headers['content-encoding'];
}

function handBack(app: ExpressApp): ErrorMiddleware {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const earlier = records.get(req);
    const done = (): void => answerHere(req, res, earlier?.url, bodyRefusal(error)(Number.MAX_SAFE_INTEGER));
    if (earlier?.settled === true) return done();
    if (error instanceof URIError && earlier === undefined) {
      // Every route the framework sets is `/{*splat}`, which Express cannot match without decoding the path.
      records.set(req, { url: req.url, settled: false });
      req.url = '/';
      app(req, res, done);
      return;
    }
    const body = (req as { rawBody?: unknown }).rawBody === undefined ? bodyRefusal(error) : undefined;
    records.set(req, { ...(earlier?.url === undefined ? {} : { url: earlier.url }), ...(body === undefined ? {} : { body }), settled: true });
    // A finished request is one the parsers pass by; the rest of a body they refused unread is dropped.
    whenFinished(req, () => app(req, res, done));
  };
}

function whenFinished(req: IncomingMessage, then: () => void): void {
  if (req.readableEnded) return then();
  req.once('end', then);
  req.resume();
}

/** Our refusal of a body the framework's parsers could not read, by the error's `type` (body-parser, raw-body). */
function bodyRefusal(error: unknown): (limit: number) => GatewayError {
  const { type, limit, charset } = error as { type?: unknown; limit?: unknown; charset?: unknown };
  if (type === 'entity.too.large') return (ours) => tooLarge(typeof limit === 'number' ? Math.min(ours, limit) : ours);
  if (type === 'charset.unsupported') return () => unsupportedCharset(String(charset));
  if (type === 'request.aborted') return () => new GatewayError({ kind: 'cancelled', message: 'The client aborted the upload.' });
  if (error instanceof URIError) return () => new GatewayError({ kind: 'invalid_request', code: 'invalid_path', message: 'The request path is not valid percent-encoding.' });
  return () =>
    new GatewayError({
      kind: 'invalid_request',
      code: 'invalid_body',
      message: 'The request body could not be read: it does not match its Content-Length.',
    });
}

function unsupportedCharset(charset: string): GatewayError {
  return new GatewayError({
    kind: 'invalid_request',
    status: 415,
    code: 'unsupported_charset',
    message: `Request bodies in charset '${charset.slice(0, 40)}' are not supported; send UTF-8.`,
  });
}

/** The last resort, never expected: the app failed the request again once handed back, so no function runs. */
function answerHere(req: IncomingMessage, res: ServerResponse, url: string | undefined, error: GatewayError): void {
  const target = url ?? req.url ?? '/';
  const mark = target.indexOf('?');
  const { status, headers, body } = unconfiguredErrorResponse(error, mark === -1 ? target : target.slice(0, mark));
  whenFinished(req, () => res.writeHead(status, headers).end(body));
}
