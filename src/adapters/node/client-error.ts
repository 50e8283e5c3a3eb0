import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { GatewayError } from '../../core/errors.js';
import { Buffer } from 'node:buffer';
import type { Cors } from '../../http/cors.js';
import { defaultErrorResponse } from '../../http/handler.js';
import { originForm } from '../request-target.js';

/** The statuses Node's HTTP parser failures map to; anything else it rejects is a plain 400. */
const BY_CODE: Record<string, { status: number; reason: string; code: string; message: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, reason: 'Request Header Fields Too Large', code: 'request_headers_too_large', message: 'The request headers are too large.' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, reason: 'Request Timeout', code: 'request_timeout', message: 'The request was not received in time.' },
};
const MALFORMED = { status: 400, reason: 'Bad Request', code: 'malformed_http', message: 'The request is not valid HTTP/1.1.' };

/** What Node's server keeps on a socket while it has a response in progress (not in its typings). */
interface ServerSocket extends Duplex {
  _httpMessage?: { headersSent?: boolean; req?: { url?: string; headers?: IncomingHttpHeaders } } | null;
}

/** The request-target of the bytes a parser error came with (Node's `err.rawPacket`), if they hold it. */
const REQUEST_LINE = /^[A-Z]+ ([^ \r\n]+)/;

const pathPart = (target: string): string | undefined => originForm(target).split('?', 1)[0];

/**
 * The path the refused request was for, where Node still knows it: the request whose body was too
 * slow, or the request line of the bytes the parser refused. Only used to pick the error's shape.
 */
function pathOf(err: Error & { rawPacket?: unknown }, s: ServerSocket): string | undefined {
  const url = s._httpMessage?.req?.url;
  if (url !== undefined) return pathPart(url);
  const target = Buffer.isBuffer(err.rawPacket) ? REQUEST_LINE.exec(err.rawPacket.subarray(0, 2048).toString('latin1'))?.[1] : undefined;
  return target === undefined ? undefined : pathPart(target);
}

/**
 * The `clientError` handler: requests Node's parser refuses (two Content-Lengths, Content-Length with
 * chunked, NUL in a header, oversized headers) or that arrive too slowly get an answer in the error
 * shape of the front door the path belongs to (`/v1/messages`: Anthropic's), the default one where
 * Node no longer knows the path, instead of Node's bare one; then the connection is closed: after a
 * framing error nothing more on it can be trusted. The parser's own reason stays out of the body: it
 * quotes request bytes.
 *
 * CORS (`cors`, for `server.allowed_origins`) goes on only where Node parsed the request's headers: a
 * body that arrived too slowly (408), whose page can then read the status. A parser error comes before
 * the headers are known: Node keeps only the chunk it failed on (`rawPacket`), which need not hold
 * `Origin`, and headers read out of bytes the parser refused are not to be trusted; such a page sees
 * a failed fetch, as it would for a network error.
 *
 * `basePath` (`server.base_path`) is taken off the path first, as the handler takes it off: under `/llm`,
 * `/llm/v1/messages` is Anthropic's.
 */
export function clientErrorAnswer(cors: Cors | undefined, basePath?: string): (err: Error & { code?: string; rawPacket?: unknown }, socket: Duplex) => void {
  return (err, socket) => {
    const s = socket as ServerSocket;
    if (err.code === 'ECONNRESET' || !s.writable || s._httpMessage?.headersSent) {
      s.destroy();
      return;
    }
    const e = BY_CODE[err.code ?? ''] ?? MALFORMED;
    const error = new GatewayError({ kind: 'invalid_request', status: e.status, message: e.message, code: e.code });
    let answer = defaultErrorResponse(error, pathOf(err, s), basePath);
    const origin = s._httpMessage?.req?.headers?.origin;
    if (cors !== undefined && origin !== undefined) answer = cors.reveal(origin, answer);
    const body = answer.body as string;
    let head = `HTTP/1.1 ${e.status} ${e.reason}\r\n`;
    for (const name in answer.headers) head += `${name}: ${answer.headers[name]}\r\n`;
    s.end(`${head}content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  };
}
