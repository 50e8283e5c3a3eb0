import { isUtf8 } from 'node:buffer';
import { GatewayError } from '../core/errors.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../core/json.js';
import type { HttpRequest } from './exchange.js';

const EMPTY = new Uint8Array(0);

/**
 * The request body under `limit` bytes (413) and `timeoutMs` (408): the bytes the platform buffered,
 * or what the adapter's reader streams in. The reader is called as a method of the request, so an
 * adapter may implement it as one (no closure per request). A body sent with a content coding is
 * refused (415) once read, on every runtime: the bytes are not JSON. It is read first so that a client
 * still sending it reads the answer rather than a reset, and a body over the limit is still the 413.
 */
export function readBody(request: HttpRequest, limit: number, timeoutMs: number): Promise<Uint8Array> {
  const coding = contentCoding(request.headers['content-encoding']);
  if (typeof request.body === 'function') {
    const read = request.body(limit, timeoutMs);
    return coding === undefined ? read : read.then(() => Promise.reject(encodedBody(coding)));
  }
  const body = request.body;
  if (body !== undefined && body.byteLength > limit) return Promise.reject(tooLarge(limit));
  if (coding !== undefined) return Promise.reject(encodedBody(coding));
  return Promise.resolve(body ?? EMPTY);
}

/** The 413 for a body over the limit, for adapters that count the bytes as they arrive. */
export function tooLarge(limit: number): GatewayError {
  return new GatewayError({ kind: 'invalid_request', status: 413, code: 'request_too_large', message: `The request body exceeds the limit of ${limit} bytes.` });
}

/**
 * The 415 for a body sent with a content coding (`Content-Encoding: gzip`): every runtime hands the
 * handler the bytes as sent, which are not JSON, and "not valid JSON" would not tell the client why.
 * `Accept-Encoding: identity` says what to send instead (RFC 9110, 15.5.16).
 */
export function encodedBody(coding: string): GatewayError {
  return new GatewayError({
    kind: 'invalid_request',
    status: 415,
    code: 'unsupported_content_encoding',
    message: `Request bodies with Content-Encoding '${coding.slice(0, 40)}' are not supported; send the body uncompressed.`,
    headers: { 'accept-encoding': 'identity' },
  });
}

/** The request's content coding when it is one the body would need decoding from (anything but identity). */
export function contentCoding(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const coding = header.trim().toLowerCase();
  return coding === '' || coding === 'identity' ? undefined : coding;
}

/**
 * Parses a JSON body; anything unparseable, nested too deep or not UTF-8 is a 400 invalid_json. JSON
 * is UTF-8 (RFC 8259): bytes that are not would be read as U+FFFD and the prompt silently changed, so
 * they are refused, as the APIs refuse a body they cannot parse. The check is simdutf's, ~80 ns on a
 * 2 KB body beside ~7 µs to parse it.
 */
export function parseJson(body: Uint8Array): unknown {
  if (nestsDeeperThan(body, MAX_JSON_DEPTH)) {
    throw new GatewayError({ kind: 'invalid_request', code: 'invalid_json', message: `The request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels.` });
  }
  if (!isUtf8(body)) {
    throw new GatewayError({ kind: 'invalid_request', code: 'invalid_json', message: 'The request body is not valid JSON: it is not valid UTF-8.' });
  }
  // Buffer's decoder is the fastest; a plain Uint8Array (from a serverless platform) is viewed, not copied.
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    throw new GatewayError({ kind: 'invalid_request', code: 'invalid_json', message: 'The request body is not valid JSON.' });
  }
}
