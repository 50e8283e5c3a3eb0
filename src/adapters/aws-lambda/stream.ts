import { isBodyStream, type BodyStream, type HttpResponse } from '../../http/exchange.js';
import { awslambdaRuntime, type ResponseStream } from './runtime.js';

/**
 * Writes the answer through Lambda response streaming: status and headers in the prelude, then the
 * body chunk by chunk, pulling the next chunk only once the last was taken (backpressure). Resolves
 * once the stream has finished or broke off; `gone` is called when it broke off first (the runtime
 * errored or closed it), so the caller can abort the request and the upstream call with it. `head`:
 * the request was a HEAD, whose answer carries no body.
 */
export async function writeResponseStream(raw: ResponseStream, response: HttpResponse, gone: () => void, head = false): Promise<void> {
  // Lambda's HTTP response stream has no trailers: don't announce any.
  const { trailer: _unsent, ...headers } = response.headers;
  const out = awslambdaRuntime().HttpResponseStream.from(raw, { statusCode: response.status, headers });
  const onGone = (): void => {
    if (!out.writableFinished) gone();
  };
  const onError = (): void => onGone();
  out.on('error', onError);
  out.on('close', onGone);
  try {
    // The runtime sends the prelude on the first write() only (end(chunk) would skip it), so an empty
    // write puts status and headers on the wire now, before the first token, even for an empty body.
    out.write('');
    // A HEAD's answer has the GET's headers and no body: the handler leaves a whole one for the runtime to
    // drop, which Lambda's response stream would send.
    if (head) {
      if (isBodyStream(response.body)) void response.body[Symbol.asyncIterator]().return?.();
    } else if (isBodyStream(response.body)) await pump(out, response.body);
    else if (response.body.length > 0) out.write(response.body);
    await end(out);
  } finally {
    out.off('close', onGone);
    out.off('error', onError);
  }
}

async function pump(out: ResponseStream, body: BodyStream): Promise<void> {
  // Leaving the loop early (client gone) calls the body's return(), closing the upstream call.
  for await (const chunk of body) {
    if (out.destroyed) return;
    if (!out.write(chunk)) await writable(out);
  }
}

/** Resolves on 'drain', or on 'close' when the stream broke off while full. */
function writable(out: ResponseStream): Promise<void> {
  if (out.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}

function end(out: ResponseStream): Promise<void> {
  if (out.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('close', done);
      resolve();
    };
    out.on('close', done);
    out.end(done);
  });
}
