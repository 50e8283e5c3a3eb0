import type { IncomingMessage } from 'node:http';
import type { CancelSignal } from '../../core/cancel.js';
import type { GatewayError } from '../../core/errors.js';
import { originForm } from '../request-target.js';
import type { BodyReader, HeaderMap, HttpRequest } from '../../http/exchange.js';
import { streamBodyReader } from './body-reader.js';
import { frameworkRefusal, sentCoding } from './framework-refusals.js';

/** What functions-framework adds to node's request: the bytes its body parsers buffered, the client's address. */
export interface GcpRequest extends IncomingMessage {
  rawBody?: Buffer | undefined;
  ip?: string | undefined;
}

/**
 * The exchange's request for a functions-framework request. The framework has already buffered the body
 * (and parsed it, which we ignore): its exact bytes go to the handler, which applies its own JSON limits,
 * with the Content-Encoding the framework's parsers were not shown (the handler refuses a coded body).
 * Without them (a plain node:http or Express server) the body is read from the stream under the handler's limits.
 * The request-target is taken in origin-form: such a server hands over an absolute-form one as sent.
 */
export function toHttpRequest(req: GcpRequest, signal: CancelSignal): HttpRequest {
  const refusal = frameworkRefusal(req);
  const coding = sentCoding(req);
  const url = originForm(refusal?.url ?? req.url ?? '/');
  const mark = url.indexOf('?');
  return {
    method: req.method ?? 'GET',
    path: mark === -1 ? url : url.slice(0, mark),
    query: mark === -1 ? '' : url.slice(mark + 1),
    // Cloud Functions and Cloud Run take only HTTPS, ended at Google's front end before the function.
    scheme: 'https',
    // node lower-cases names and joins repeats with ", "; only set-cookie stays an array, and clients don't send it.
    headers: coding === undefined ? (req.headers as HeaderMap) : { ...(req.headers as HeaderMap), 'content-encoding': coding },
    body: req.rawBody ?? (refusal?.body ? refusedBody(refusal.body) : hasUnreadBody(req) ? streamBodyReader(req) : undefined),
    signal,
    remoteAddress: req.ip ?? req.socket.remoteAddress,
  };
}

/** A body functions-framework's parsers consumed and refused: reading it fails as they did, in our words. */
function refusedBody(refusal: (limit: number) => GatewayError): BodyReader {
  return (limit) => Promise.reject(refusal(limit));
}

/** The test body-parser uses: a body is announced by content-length or transfer-encoding. */
function hasUnreadBody(req: IncomingMessage): boolean {
  if (req.readableEnded) return false;
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}
