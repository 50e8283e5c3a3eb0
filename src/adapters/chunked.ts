import type { ServerResponse } from 'node:http';

/**
 * Whether node:http sends this answer chunked, the only framing that carries trailers: not to HEAD, not
 * to an HTTP/1.0 client (nginx's default `proxy_http_version` among them), not for a status without a
 * body. Announcing trailers otherwise makes `writeHead` throw (ERR_HTTP_TRAILER_INVALID): the answer
 * was lost. For the node and Cloud Functions adapters, both on node:http.
 */
export function sendsChunked(res: ServerResponse, status: number): boolean {
  const req = res.req;
  return req?.method !== 'HEAD' && req?.httpVersion !== '1.0' && status !== 204 && status !== 304 && status >= 200;
}

/** The headers without the `trailer` announcement, for an answer that cannot carry trailers. */
export function withoutTrailer<H extends Record<string, unknown>>(headers: H): H {
  if (headers['trailer'] === undefined) return headers;
  const { trailer: _unsendable, ...rest } = headers;
  return rest as H;
}
