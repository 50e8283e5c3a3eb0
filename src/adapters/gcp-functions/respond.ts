import type { ServerResponse } from 'node:http';
import { isBodyStream, type HttpResponse } from '../../http/exchange.js';
import { reasonPhrase } from '../../http/respond.js';
import { sendsChunked, withoutTrailer } from '../chunked.js';

/** One exchange's connection state, shared with the listener that notices the client leaving. */
export interface Connection {
  /** The client went away before the response ended. */
  gone: boolean;
  /** The stream being pumped, for return() on disconnect. */
  iterator: AsyncIterator<string> | undefined;
}

/**
 * Writes the handler's answer to node's response. A stream is pulled one chunk at a time, the next only
 * once the socket took the last (or drained). `settle` runs after the body was produced and before the
 * response ends: on Cloud Functions the CPU is throttled once the response has ended, so work left for
 * later (the ledger flush) might never run.
 */
export async function writeResponse(res: ServerResponse, response: HttpResponse, conn: Connection, settle: () => Promise<void>): Promise<void> {
  const body = response.body;
  if (!isBodyStream(body)) {
    await settle();
    if (!conn.gone) res.writeHead(response.status, reasonPhrase(response.status), response.headers).end(body);
    return;
  }
  const iterator = body[Symbol.asyncIterator]();
  if (conn.gone) {
    // Not one chunk will be read: let the handler close its upstream and settle now.
    await iterator.return?.().catch(() => undefined);
    return settle();
  }
  conn.iterator = iterator;
  const chunked = sendsChunked(res, response.status);
  try {
    res.writeHead(response.status, reasonPhrase(response.status), chunked ? response.headers : withoutTrailer(response.headers));
    // SSE clients wait for the status, and the first chunk may take seconds to come.
    res.flushHeaders();
    await pump(res, iterator, conn);
  } catch (err) {
    // A stream that broke after its status was sent cannot become an error answer: cut it short.
    if (res.headersSent) res.destroy();
    await iterator.return?.().catch(() => undefined);
    await settle();
    // After a disconnect the stream failing (an aborted upstream) is expected, not worth reporting.
    if (!conn.gone) throw err;
    return;
  } finally {
    conn.iterator = undefined;
  }
  if (conn.gone) return settle();
  const trailers = chunked && response.headers['trailer'] !== undefined ? response.trailers?.() : undefined;
  if (trailers) res.addTrailers(trailers);
  await settle();
  res.end();
}

async function pump(res: ServerResponse, iterator: AsyncIterator<string>, conn: Connection): Promise<void> {
  for (;;) {
    const next = await iterator.next();
    if (next.done === true || conn.gone) return;
    if (!res.write(next.value)) {
      await drained(res);
      if (conn.gone) return;
    }
  }
}

/** Resolves when the socket drained, or closed (then nothing more will be written). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
  });
}
