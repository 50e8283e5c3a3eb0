import type { CancelSignal } from '../../../core/cancel.js';
import type { BodyStream, HttpHandler, HttpRequest, HttpResponse } from '../../../http/exchange.js';

export const JSON_ANSWER = '{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Grüß dich!"},"finish_reason":"stop"}]}';
export const SSE_CHUNKS = ['data: {"choices":[{"delta":{"content":"Grüß"}}]}\n\n', 'data: {"choices":[{"delta":{"content":" dich"}}]}\n\n', 'data: [DONE]\n\n'];

/** Answers every request with one JSON body. */
export const jsonHandler: HttpHandler = () => Promise.resolve({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON_ANSWER });

/** Answers with a fixed response and keeps the request it got. */
export function recordingHandler(response: HttpResponse): HttpHandler & { requests: HttpRequest[] } {
  const requests: HttpRequest[] = [];
  return Object.assign((request: HttpRequest) => {
    requests.push(request);
    return Promise.resolve(response);
  }, { requests });
}

/**
 * Streams SSE chunks handed to `push` (as an upstream would, at its own pace), ends on `end`, and
 * ends early when the request aborts. Records what it saw: the signal's abort and the stream's return().
 */
export function streamingHandler(headers: Record<string, string> = { 'content-type': 'text/event-stream' }) {
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const seen = { pulled: 0, returned: false, aborted: false };
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  async function* body(signal: CancelSignal): BodyStream {
    signal.addEventListener('abort', () => {
      seen.aborted = true;
      notify();
    });
    try {
      for (;;) {
        while (queue.length === 0 && !ended && !signal.aborted) await new Promise<void>((resolve) => (wake = resolve));
        const chunk = queue.shift();
        if (chunk === undefined) return;
        seen.pulled++;
        yield chunk;
      }
    } finally {
      seen.returned = true;
    }
  }
  const handler: HttpHandler = (request) => Promise.resolve({ status: 200, headers, body: body(request.signal) });
  return {
    handler,
    seen,
    push: (...chunks: string[]) => {
      queue.push(...chunks);
      notify();
    },
    end: () => {
      ended = true;
      notify();
    },
  };
}
