import type { ServerResponse } from 'node:http';
import { http } from '@google-cloud/functions-framework';
import { Canceller } from '../../core/cancel.js';
import { GatewayError } from '../../core/errors.js';
import type { HttpHandler, HttpRequest, HttpResponse } from '../../http/exchange.js';
import { defaultErrorResponse } from '../../http/handler.js';
import { errorSummary } from '../../http/respond.js';
import { answerFrameworkRefusals } from './framework-refusals.js';
import { toHttpRequest, type GcpRequest } from './request.js';
import { writeResponse, type Connection } from './respond.js';

export type { GcpRequest } from './request.js';
export { functionTimeoutMs, requestDeadlineMs } from './deadline.js';
export { lazyHandler } from '../../http/lazy.js';
export { createServerlessEntry, type ServerlessEntry, type ServerlessEntryOptions } from '../serverless-entry.js';

export interface GcpOptions {
  /**
   * Awaited once per request after the body was produced and BEFORE the response ends (e.g. the ledger
   * flush): Cloud Functions throttles the CPU once the response has ended, so later work may never run.
   */
  readonly onSettled?: () => Promise<void>;
  /** Told of failures the client only sees as a 500 or a cut stream (a handler that threw, a failed onSettled). */
  readonly onError?: (error: unknown) => void;
  /**
   * The `server.base_path` the handler routes under (the serverless entry's `basePath`): the adapter's
   * own error answers take it off before picking the front door's shape, as the handler does.
   */
  readonly basePath?: () => string | undefined;
  /**
   * The request's signal aborts with a timeout this long after the function was called (a 504
   * `deadline_exceeded` in the front door's shape, or a stream's error event), so the upstream call
   * ends and `onSettled` flushes the usage before the platform cuts the request at the function's
   * `--timeout` (`requestDeadlineMs`). Default: none.
   */
  readonly deadlineMs?: number;
}

/** An HTTP function for functions-framework (Express req/res, node:http underneath). */
export type GcpFunction = (req: GcpRequest, res: ServerResponse) => void;

/** Builds the HTTP function that serves every request through `handler` (see `lazyHandler` to build it on first use). */
export function createGcpHandler(handler: HttpHandler, options: GcpOptions = {}): GcpFunction {
  const onError = options.onError ?? logError;
  const onSettled = options.onSettled;
  const settle = onSettled ? () => onSettled().catch(onError) : () => Promise.resolve();
  const basePath = options.basePath;
  const deadlineMs = options.deadlineMs;

  async function serve(req: GcpRequest, res: ServerResponse): Promise<void> {
    const controller = new Canceller();
    const conn: Connection = { gone: false, iterator: undefined };
    const deadline = deadlineMs === undefined ? undefined : setTimeout(() => controller.abort(timedOut(deadlineMs)), deadlineMs);
    res.on('close', () => {
      clearTimeout(deadline);
      if (res.writableFinished) return;
      conn.gone = true;
      controller.abort();
      conn.iterator?.return?.().catch(onError);
    });
    let request: HttpRequest | undefined;
    let response: HttpResponse;
    try {
      request = toHttpRequest(req, controller.signal);
      response = await handler(request);
    } catch (err) {
      onError(err);
      response = internalError(request?.path, basePath?.());
    }
    try {
      await writeResponse(res, response, conn, settle);
    } catch (err) {
      onError(err);
      if (!res.headersSent && !conn.gone) sendInternalError(res, request?.path, basePath?.());
    }
  }
  return (req, res) => void serve(req, res);
}

/**
 * Registers `name` with functions-framework (`--target=name`), serving every request through `handler`,
 * the requests the framework's own parsers refuse included (`framework-refusals.ts`).
 */
export function registerGcpFunction(name: string, handler: HttpHandler, options: GcpOptions = {}): void {
  answerFrameworkRefusals();
  http(name, createGcpHandler(handler, options));
}

function timedOut(ms: number): GatewayError {
  return new GatewayError({ kind: 'timeout', code: 'deadline_exceeded', message: `No answer within ${ms} ms, the most this function gives a request before its timeout.` });
}

/** A 500 in the error shape of the front door `path` belongs to under `basePath` (Anthropic's for `/v1/messages`). */
function internalError(path: string | undefined, basePath: string | undefined): HttpResponse {
  const error = new GatewayError({ kind: 'internal', message: 'The gateway failed to handle the request.' });
  return defaultErrorResponse(error, path, basePath);
}

function sendInternalError(res: ServerResponse, path: string | undefined, basePath: string | undefined): void {
  const { status, headers, body } = internalError(path, basePath);
  res.writeHead(status, headers).end(body);
}

/** Cloud Logging reads JSON lines; the error's scrubbed name and message only (`errorSummary`). */
function logError(error: unknown): void {
  process.stderr.write(`${JSON.stringify({ severity: 'ERROR', message: `switchyard gcp-functions adapter: ${errorSummary(error)}` })}\n`);
}
