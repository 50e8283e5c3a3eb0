/** A request the transport sends: the URL and headers come from config and the provider, never a client. */
export interface OutgoingRequest {
  url: URL;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string | Uint8Array | undefined;
}

/** A header the transport cannot send as given (a CR/LF in a value, a framing header it owns). */
export class InvalidRequestHeaderError extends Error {
  readonly code = 'INVALID_REQUEST_HEADER';
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Visible ASCII, SP and HTAB only: the head travels in one UTF-8 string with the body, so obs-text
// (bytes 0x80-0xff) would not arrive as the byte it stands for.
const BAD_VALUE = /[^\t\x20-\x7e]/;

/** Framing and hop-by-hop headers: the transport writes what it needs of them itself. */
const OWNED = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'expect', 'te', 'trailer', 'proxy-connection']);

/** Whether `name: value` may be sent as a request header; the reason it may not, otherwise. */
export function headerProblem(name: string, value: string): string | undefined {
  if (!TOKEN.test(name)) return 'is not a valid header name';
  if (BAD_VALUE.test(value)) return 'has a character a header value cannot carry (control characters, CR/LF, non-ASCII)';
  if (OWNED.has(name.toLowerCase())) return 'frames the request or the connection, which the upstream client sets itself';
  return undefined;
}

/**
 * The request line and headers, ending with the blank line. `host` is the URL's unless the
 * headers carry one (a SigV4 signature covers the host it was given). Throws
 * InvalidRequestHeaderError rather than send a header that could split the request.
 */
export function requestHead(req: OutgoingRequest, bodyLength: number): string {
  let host = req.url.host;
  let head = '';
  for (const name in req.headers) {
    const value = req.headers[name] as string;
    const problem = headerProblem(name, value);
    if (problem !== undefined) throw new InvalidRequestHeaderError(`The upstream request header "${name}" ${problem}.`);
    if (name.length === 4 && name.toLowerCase() === 'host') host = value;
    else head += `${name}: ${value}\r\n`;
  }
  const length = req.body === undefined && req.method === 'GET' ? '' : `content-length: ${bodyLength}\r\n`;
  return `${req.method} ${req.url.pathname}${req.url.search} HTTP/1.1\r\nhost: ${host}\r\n${head}${length}\r\n`;
}
