import type { IncomingMessage } from 'node:http';
import type { CancelSignal } from '../../core/cancel.js';
import { originForm } from '../request-target.js';
import type { HeaderMap, HttpRequest } from '../../http/exchange.js';
import { streamBodyReader } from './body-reader.js';
import { frameworkRefusal, hiddenHeaders } from './framework-refusals.js';

/** What functions-framework adds to node's request: the client's address, and the bytes a body parser buffered (never on its own server: see `toHttpRequest`). */
export interface GcpRequest extends IncomingMessage {
  rawBody?: Buffer | undefined;
  ip?: string | undefined;
}

/**
 * The exchange's request for a functions-framework request. The framework's body parsers were shown
 * neither its Content-Type nor its Content-Encoding (`framework-refusals.ts`), so they left the body
 * unread: the handler gets the headers as sent and reads the body from the stream under its own limit
 * and timeout, only once it has decided to (after authentication). The same on a plain node:http or
 * Express server; a body an Express parser of the caller's already buffered (`rawBody`) is taken as it is.
 * The request-target is taken in origin-form: such a server hands over an absolute-form one as sent.
 */
export function toHttpRequest(req: GcpRequest, signal: CancelSignal): HttpRequest {
  const refusal = frameworkRefusal(req);
  const hidden = hiddenHeaders(req);
  const url = originForm(refusal?.url ?? req.url ?? '/');
  const mark = url.indexOf('?');
  return {
    method: req.method ?? 'GET',
    path: mark === -1 ? url : url.slice(0, mark),
    query: mark === -1 ? '' : url.slice(mark + 1),
    // Cloud Functions and Cloud Run take only HTTPS, ended at Google's front end before the function.
    scheme: 'https',
    // node lower-cases names and joins repeats with ", "; only set-cookie stays an array, and clients don't send it.
    headers: hidden === undefined ? (req.headers as HeaderMap) : { ...(req.headers as HeaderMap), ...hidden },
    body: req.rawBody ?? (hasUnreadBody(req) ? streamBodyReader(req) : undefined),
    signal,
    remoteAddress: req.ip ?? req.socket.remoteAddress,
  };
}

/** The test body-parser uses: a body is announced by content-length or transfer-encoding. */
function hasUnreadBody(req: IncomingMessage): boolean {
  if (req.readableEnded) return false;
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}
