import type { Context, StreamifyHandler } from 'aws-lambda';
import { Canceller, type CancelSignal } from '../../core/cancel.js';
import type { HttpHandler } from '../../http/exchange.js';
import { toHttpRequest, type LambdaHttpEvent } from './request.js';
import { toLambdaResult, type LambdaResult } from './result.js';
import { awslambdaRuntime } from './runtime.js';
import { writeResponseStream } from './stream.js';

export interface LambdaAdapterOptions {
  /**
   * Awaited after the response is fully written and before the invocation returns (e.g. the usage
   * ledger's flush): Lambda may freeze the process as soon as the invocation returns. Should not
   * throw; a rejection fails the invocation.
   */
  readonly onSettled?: (() => Promise<void>) | undefined;
  /**
   * The request's signal aborts this long before the invocation's deadline, so the handler can end
   * its upstream call and settle usage before Lambda stops the function. Default 1000 ms.
   */
  readonly deadlineMarginMs?: number | undefined;
}

export type BufferedLambdaHandler = (event: LambdaHttpEvent, context: Context) => Promise<LambdaResult>;

/** For buffered front doors: API Gateway (REST, HTTP API), ALB, Function URLs in BUFFERED mode. */
export function createLambdaHandler(handler: HttpHandler, options: LambdaAdapterOptions = {}): BufferedLambdaHandler {
  return async (event, context) => {
    const invocation = startInvocation(context, options);
    try {
      const response = await handler(toHttpRequest(event, invocation.signal));
      return await toLambdaResult(event, response);
    } finally {
      invocation.stop();
      await options.onSettled?.();
    }
  };
}

/** For Function URLs in RESPONSE_STREAM mode (and InvokeWithResponseStream): SSE reaches the client as it is produced. */
export function createStreamingLambdaHandler(handler: HttpHandler, options: LambdaAdapterOptions = {}): StreamifyHandler<LambdaHttpEvent, void> {
  return awslambdaRuntime().streamifyResponse<LambdaHttpEvent>(async (event, responseStream, context) => {
    const invocation = startInvocation(context, options);
    try {
      const response = await handler(toHttpRequest(event, invocation.signal));
      await writeResponseStream(responseStream, response, invocation.abort);
    } finally {
      invocation.stop();
      await options.onSettled?.();
    }
  });
}

interface Invocation {
  readonly signal: CancelSignal;
  readonly abort: () => void;
  readonly stop: () => void;
}

function startInvocation(context: Context, options: LambdaAdapterOptions): Invocation {
  const controller = new Canceller();
  const margin = options.deadlineMarginMs ?? 1000;
  const timer = setTimeout(
    () => controller.abort(new DOMException('the Lambda invocation is about to time out', 'TimeoutError')),
    Math.max(0, context.getRemainingTimeInMillis() - margin),
  );
  return {
    signal: controller.signal,
    abort: () => controller.abort(new DOMException('the client went away', 'AbortError')),
    stop: () => clearTimeout(timer),
  };
}
