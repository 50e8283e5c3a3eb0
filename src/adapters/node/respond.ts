import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { isBodyStream, type BodyStream, type HttpResponse } from '../../http/exchange.js';
import { reasonPhrase } from '../../http/respond.js';
import { SseWriter } from './sse-writer.js';
import { sendsChunked, withoutTrailer } from '../chunked.js';

/** Writes the handler's answer: a whole body in one `end`, a stream chunk by chunk with backpressure. */
export function writeAnswer(res: ServerResponse, answer: HttpResponse, stallMs: number): void {
  const { body } = answer;
  const headers: OutgoingHttpHeaders = answer.headers;
  // RFC 9110: a 204 (a CORS preflight's answer) carries no Content-Length; node:http would send ours.
  if (!isBodyStream(body) && answer.status !== 204) headers['content-length'] = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  // A caller without a valid key keeps no idle connection: 65 s of keep-alive each would let anyone fill
  // `max_connections` with a few requests a second.
  if (answer.status === 401) headers.connection = 'close';
  const chunked = sendsChunked(res, answer.status);
  try {
    if (res.destroyed) throw new Error('The client went away before the answer.');
    res.writeHead(answer.status, reasonPhrase(answer.status), chunked ? headers : withoutTrailer(headers));
  } catch {
    // Not one chunk will be read: close the stream (its upstream) and settle the attempt now.
    if (isBodyStream(body)) void body[Symbol.asyncIterator]().return?.();
    res.destroy();
    return;
  }
  if (isBodyStream(body)) void pump(res, answer, body, stallMs, chunked);
  else res.end(body);
}

/**
 * Pulls the next chunk only once the last one was handed to the socket and the socket has drained;
 * when the client has gone, stops pulling and returns the stream (closing its upstream).
 */
async function pump(res: ServerResponse, answer: HttpResponse, body: BodyStream, stallMs: number, chunked: boolean): Promise<void> {
  const chunks = body[Symbol.asyncIterator]();
  const out = new SseWriter(res, stallMs, body);
  try {
    for (;;) {
      if (res.destroyed) {
        await chunks.return?.();
        return;
      }
      const next = await chunks.next();
      if (next.done) break;
      const drained = out.add(next.value);
      if (drained) await drained;
    }
  } catch {
    res.destroy();
    return;
  }
  const trailers = chunked ? answer.trailers?.() : undefined;
  if (trailers && !res.destroyed) res.addTrailers(trailers);
  out.end();
}
