import type { Context, StreamifyHandler } from 'aws-lambda';
import { Canceller, type CancelSignal } from '../../core/cancel.js';
import { GatewayError } from '../../core/errors.js';
import type { HttpHandler, HttpRequest, HttpResponse } from '../../http/exchange.js';
import { defaultErrorResponse } from '../../http/handler.js';
import { errorSummary } from '../../http/respond.js';
import { eventPath, eventProblem } from './event-shape.js';
import { methodOf, toHttpRequest, type LambdaHttpEvent } from './request.js';
import { responseLimit, sizeOver, toLambdaResult, type LambdaResult } from './result.js';
import { awslambdaRuntime } from './runtime.js';
import { writeResponseStream } from './stream.js';

export interface LambdaAdapterOptions {
  /**
   * Awaited after the response is fully written and before the invocation returns (e.g. the usage
   * ledger's flush): Lambda may freeze the process as soon as the invocation returns. It is told the
   * invocation's remaining time and must resolve within it (a buffered front door's answer waits for it;
   * past it the client gets Lambda's bare 502). Should not throw; a rejection fails the invocation.
   */
  readonly onSettled?: ((remainingMs: number) => Promise<void>) | undefined;
  /**
   * The request's signal aborts this long before the invocation's deadline (with a timeout the client
   * reads as a 504), so the handler can end its upstream call and `onSettled` flush the usage before
   * Lambda stops the function. Default `LAMBDA_DEADLINE_MARGIN_MS`; never more than half the time the
   * invocation had when it started.
   */
  readonly deadlineMarginMs?: number | undefined;
  /**
   * Told each invocation's remaining time at its start, before the handler is called (the function's
   * `Timeout`, give or take): the serverless entry bounds streams under it (`invocationMs`).
   */
  readonly onInvocation?: ((remainingMs: number) => void) | undefined;
  /** Told of a handler that threw (answered 500 in the front door's error shape); default: a JSON log line. */
  readonly onError?: ((error: unknown) => void) | undefined;
  /**
   * The `server.base_path` the handler routes under (the serverless entry's `basePath`): the adapter's
   * own error answers take it off before picking the front door's shape, as the handler does.
   */
  readonly basePath?: (() => string | undefined) | undefined;
}

/**
 * What the flush after the abort may need: a PostgreSQL ledger's connect timeout (5 s) when the database
 * is unreachable, then copying the events to the function log; an insert on a live connection takes ms.
 */
export const LAMBDA_DEADLINE_MARGIN_MS = 8_000;

export type BufferedLambdaHandler = (event: LambdaHttpEvent, context: Context) => Promise<LambdaResult>;

/** For buffered front doors: API Gateway (REST, HTTP API), ALB, Function URLs in BUFFERED mode. */
export function createLambdaHandler(handler: HttpHandler, options: LambdaAdapterOptions = {}): BufferedLambdaHandler {
  return async (event, context) => {
    const invocation = startInvocation(context, options);
    try {
      const response = await respond(handler, event, invocation.signal, options);
      return await withinLimit(event, await toLambdaResult(event, response), options);
    } finally {
      invocation.stop();
      await options.onSettled?.(context.getRemainingTimeInMillis());
    }
  };
}

/** For Function URLs in RESPONSE_STREAM mode (and InvokeWithResponseStream): SSE reaches the client as it is produced. */
export function createStreamingLambdaHandler(handler: HttpHandler, options: LambdaAdapterOptions = {}): StreamifyHandler<LambdaHttpEvent, void> {
  return awslambdaRuntime().streamifyResponse<LambdaHttpEvent>(async (event, responseStream, context) => {
    const invocation = startInvocation(context, options);
    try {
      const response = await respond(handler, event, invocation.signal, options);
      await writeResponseStream(responseStream, response, invocation.abort, methodOf(event) === 'HEAD');
    } finally {
      invocation.stop();
      await options.onSettled?.(context.getRemainingTimeInMillis());
    }
  });
}

/**
 * The result, or, when it is larger than the front door takes back, a 502 in the path's front door's
 * error shape: the platform would answer its own bare 502 and nobody would know why. The answer was
 * billed like any other; the log says how large it was.
 */
function withinLimit(event: LambdaHttpEvent, result: LambdaResult, options: LambdaAdapterOptions): Promise<LambdaResult> | LambdaResult {
  const limit = responseLimit(event);
  const size = sizeOver(result, limit);
  if (size === undefined) return result;
  logLine('ERROR', `an answer of ${size} bytes is over the ${limit} bytes this front door takes back: answered 502 response_too_large`);
  const error = new GatewayError({
    kind: 'internal',
    status: 502,
    code: 'response_too_large',
    message: `The answer (${size} bytes) is larger than this Lambda front door can return (${limit} bytes). Stream it through a Function URL in RESPONSE_STREAM mode, or ask for less.`,
  });
  return toLambdaResult(event, defaultErrorResponse(error, eventPath(event), options.basePath?.()));
}

/** The handler's answer to a well-formed event; a malformed one (`eventProblem`) is a 400 the handler never sees. */
function respond(handler: HttpHandler, event: LambdaHttpEvent, signal: CancelSignal, options: LambdaAdapterOptions): Promise<HttpResponse> {
  const problem = eventProblem(event);
  if (problem === undefined) return answer(handler, toHttpRequest(event, signal), options);
  // The event is the platform's (or whoever invoked the function): logged by what is wrong, never by its content.
  logLine('WARN', `refused a malformed event: ${problem}`);
  const error = new GatewayError({ kind: 'invalid_request', code: 'invalid_event', message: `The request could not be read: its Lambda event is malformed (${problem}).` });
  return Promise.resolve(defaultErrorResponse(error, eventPath(event), options.basePath?.()));
}

const INTERNAL = new GatewayError({ kind: 'internal', message: 'The gateway failed to handle the request.' });

/**
 * The handler's answer; one that threw (a bug: it answers its own errors) is a 500 in the error shape of
 * the path's front door, not a failed invocation, which the client would see as the platform's bare 502.
 */
async function answer(handler: HttpHandler, request: HttpRequest, options: LambdaAdapterOptions): Promise<HttpResponse> {
  try {
    return await handler(request);
  } catch (error) {
    (options.onError ?? logError)(error);
    return defaultErrorResponse(INTERNAL, request.path, options.basePath?.());
  }
}

/** A failed handler by its error's scrubbed name and message only (`errorSummary`). */
function logError(error: unknown): void {
  logLine('ERROR', errorSummary(error));
}

/** CloudWatch keeps stderr, one JSON line each. */
function logLine(level: 'ERROR' | 'WARN', text: string): void {
  process.stderr.write(`${JSON.stringify({ level, message: `switchyard aws-lambda adapter: ${text}` })}\n`);
}

interface Invocation {
  readonly signal: CancelSignal;
  readonly abort: () => void;
  readonly stop: () => void;
}

function startInvocation(context: Context, options: LambdaAdapterOptions): Invocation {
  const controller = new Canceller();
  const remaining = context.getRemainingTimeInMillis();
  // A short timeout keeps half its time for the request rather than none.
  const margin = Math.min(options.deadlineMarginMs ?? LAMBDA_DEADLINE_MARGIN_MS, remaining / 2);
  options.onInvocation?.(remaining);
  const timer = setTimeout(
    () => controller.abort(new GatewayError({ kind: 'timeout', code: 'deadline_exceeded', message: 'The Lambda invocation was about to time out.' })),
    Math.max(0, remaining - margin),
  );
  return {
    signal: controller.signal,
    abort: () => controller.abort(new DOMException('the client went away', 'AbortError')),
    stop: () => clearTimeout(timer),
  };
}
