import type { HttpRequest as AzureRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { ReadableStream } from 'node:stream/web';
import { Canceller, type CancelSignal } from '../../core/cancel.js';
import { GatewayError } from '../../core/errors.js';
import { isBodyStream, type HttpHandler, type HttpRequest, type HttpResponse } from '../../http/exchange.js';
import { defaultErrorResponse } from '../../http/handler.js';
import { errorSummary } from '../../http/respond.js';
import { webBodyReader } from './body.js';
import { AZURE_DEADLINE_MS, idleDeadline } from './deadline.js';
import { toWebStream } from './stream.js';

export interface AzureHandlerOptions {
  /**
   * host.json's `extensions.http.routePrefix`, taken off the front of every path. Our host.json sets
   * it to "" so clients call `/v1/...`; pass `api` when the app keeps Azure's default (`main.ts` reads
   * it from host.json, `route-prefix.ts`).
   */
  readonly routePrefix?: string;
  /**
   * Awaited once the answer is complete (for streams: after the last chunk, or after a cancel) and
   * before the invocation ends, so the platform does not freeze the instance first: flush usage here.
   */
  readonly onSettled?: () => Promise<void>;
  /**
   * The longest the answer may stay silent (until its status, then between stream chunks) before the
   * request is aborted with a timeout error; keep it under Azure's 230 s with room for `onSettled`.
   * Default 220 000 ms.
   */
  readonly deadlineMs?: number;
  /**
   * The `server.base_path` the handler routes under (the serverless entry's `basePath`): the adapter's
   * own error answers take it off before picking the front door's shape, as the handler does.
   */
  readonly basePath?: () => string | undefined;
}

/** The function `app.http` runs for every request. */
export type AzureHttpFunction = (request: AzureRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/** Translates Azure Functions' HTTP trigger (v4 programming model, HTTP streaming on) to `handler`. */
export function createAzureHandler(handler: HttpHandler, options: AzureHandlerOptions = {}): AzureHttpFunction {
  const trimmed = options.routePrefix?.replace(/^\/+|\/+$/g, '') ?? '';
  const prefix = trimmed === '' ? '' : `/${trimmed}`;
  const onSettled = options.onSettled;
  const deadlineMs = options.deadlineMs ?? AZURE_DEADLINE_MS;
  return async (request, context) => {
    const controller = new Canceller();
    const deadline = idleDeadline(controller, deadlineMs);
    const settle = async (): Promise<void> => {
      deadline.stop();
      await onSettled?.().catch((error: unknown) => context.error('switchyard: settling after the answer failed', errorSummary(error)));
    };
    let exchange: HttpRequest | undefined;
    let response: HttpResponse;
    try {
      exchange = toExchange(request, prefix, controller.signal);
      response = await handler(exchange);
    } catch (error) {
      // The handler answers its own errors; this is a bug, answered in the shape of the path's front door all the same.
      context.error('switchyard: the handler failed', errorSummary(error));
      await settle();
      const { status, headers, body } = defaultErrorResponse(INTERNAL, exchange?.path, options.basePath?.());
      return { status, headers, body: body as string };
    }
    const headers = withoutTrailer(response.headers);
    if (!isBodyStream(response.body)) {
      await settle();
      return { status: response.status, headers, body: response.body };
    }
    const abort = () => controller.abort(new GatewayError({ kind: 'cancelled', message: 'The client disconnected.' }));
    return { status: response.status, headers, body: toWebStream(response.body, settle, abort, deadline.touch) };
  };
}

function toExchange(request: AzureRequest, prefix: string, signal: CancelSignal): HttpRequest {
  const url = new URL(request.url);
  let path = url.pathname;
  if (prefix !== '' && (path === prefix || path.startsWith(`${prefix}/`))) path = path.slice(prefix.length) || '/';
  const headers: Record<string, string> = {};
  // Headers yields lower-case names with repeated values already joined by ", ".
  for (const [name, value] of request.headers) headers[name] = value;
  const stream = request.body as ReadableStream<unknown> | null;
  return {
    method: request.method.toUpperCase(),
    path,
    // The route prefix is routing's business; the span records the path the client sent.
    originalPath: url.pathname,
    query: url.search.slice(1),
    // The function app is HTTPS only (deploy/azure: httpsOnly); TLS ends at Azure's front end.
    scheme: 'https',
    headers,
    body: stream === null ? undefined : webBodyReader(stream, headers['content-length'], request.bodyUsed),
    signal,
  };
}

/** Azure's HTTP proxy sends no trailers and drops the `trailer` header; drop it on the buffered path too. */
function withoutTrailer(headers: Record<string, string>): Record<string, string> {
  if (headers.trailer === undefined) return headers;
  const { trailer: _trailer, ...rest } = headers;
  return rest;
}

const INTERNAL = new GatewayError({ kind: 'internal', message: 'Internal gateway error.' });
