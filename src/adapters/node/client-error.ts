import type { Duplex } from 'node:stream';
import { GatewayError } from '../../core/errors.js';
import { defaultErrorResponse } from '../../http/handler.js';

/** The statuses Node's HTTP parser failures map to; anything else it rejects is a plain 400. */
const BY_CODE: Record<string, { status: number; reason: string; code: string; message: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, reason: 'Request Header Fields Too Large', code: 'request_headers_too_large', message: 'The request headers are too large.' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, reason: 'Request Timeout', code: 'request_timeout', message: 'The request was not received in time.' },
};
const MALFORMED = { status: 400, reason: 'Bad Request', code: 'malformed_http', message: 'The request is not valid HTTP/1.1.' };

/** What Node's server keeps on a socket while it has a response in progress (not in its typings). */
interface ServerSocket extends Duplex {
  _httpMessage?: { headersSent?: boolean } | null;
}

/**
 * `clientError` handler: requests Node's parser refuses (two Content-Lengths, Content-Length with
 * chunked, NUL in a header, oversized headers) or that arrive too slowly get an answer in the default
 * front door's error shape instead of Node's bare one, then the connection is closed: after a framing error nothing
 * more on it can be trusted. The parser's own reason stays out of the body: it quotes request bytes.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  const s = socket as ServerSocket;
  if (err.code === 'ECONNRESET' || !s.writable || s._httpMessage?.headersSent) {
    s.destroy();
    return;
  }
  const e = BY_CODE[err.code ?? ''] ?? MALFORMED;
  const error = new GatewayError({ kind: 'invalid_request', status: e.status, message: e.message, code: e.code });
  const body = defaultErrorResponse(error).body as string;
  s.end(`HTTP/1.1 ${e.status} ${e.reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}
