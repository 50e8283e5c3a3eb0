import type * as Http from 'node:http';
import { createRequire } from 'node:module';
import type { ALBResult, APIGatewayProxyResult, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { isBodyStream, type HttpResponse } from '../../http/exchange.js';
import { isAlb, isV2 } from './request.js';

export type LambdaResult = APIGatewayProxyStructuredResultV2 | APIGatewayProxyResult | ALBResult;

// Bodies of these types go back as text: a REST API returns a base64 body verbatim unless its
// binaryMediaTypes list the type, so text must never be base64-encoded.
const TEXTUAL = /^\s*(text\/|application\/([\w.-]+\+)?(json|xml)|application\/(x-)?ndjson)/i;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

let statusCodes: typeof Http.STATUS_CODES | undefined;
/** The reason phrases, from node:http when an ALB first needs one: loading node:http costs a cold start ~3.5 ms. */
function reasonPhrase(status: number): string {
  statusCodes ??= (createRequire(import.meta.url)('node:http') as typeof Http).STATUS_CODES;
  return statusCodes[status] ?? '';
}

/**
 * The whole answer as the buffered front doors (API Gateway, ALB, Function URL in BUFFERED mode)
 * expect it. A streamed body (SSE) is collected first; trailers, which these doors cannot send,
 * become headers since the body is complete by then. `event` may be malformed (`eventProblem`): what
 * is not an ALB's event is answered in the API Gateway shape.
 */
export async function toLambdaResult(event: unknown, response: HttpResponse): Promise<LambdaResult> {
  const payload = isBodyStream(response.body) ? await collect(response.body) : response.body;
  const headers = withTrailers(response);
  const { body, isBase64Encoded } = encodeBody(payload, headers['content-type']);
  if (isV2(event) || !isAlb(event)) return { statusCode: response.status, headers, body, isBase64Encoded };
  const statusDescription = `${response.status} ${reasonPhrase(response.status)}`.trimEnd();
  // A target group with multi-value headers on sends multiValueHeaders and requires them back.
  if (event.multiValueHeaders !== undefined) {
    const multiValueHeaders: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(headers)) multiValueHeaders[name] = [value];
    return { statusCode: response.status, statusDescription, multiValueHeaders, body, isBase64Encoded };
  }
  return { statusCode: response.status, statusDescription, headers, body, isBase64Encoded };
}

/**
 * What Lambda takes back from a synchronous invocation (its response payload, the result's JSON: 6 MB;
 * Lambda refuses past 6,291,556 bytes) and what an ALB takes from a Lambda target (1 MB). Past them the
 * client gets the platform's bare 502, not the answer.
 */
export const LAMBDA_RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024;
export const ALB_RESPONSE_LIMIT_BYTES = 1024 * 1024;

/** The most a buffered front door takes back for this event. */
export function responseLimit(event: unknown): number {
  return !isV2(event) && isAlb(event) ? ALB_RESPONSE_LIMIT_BYTES : LAMBDA_RESPONSE_LIMIT_BYTES;
}

/** A JSON string's character can take at most 6 bytes (`\u001f`); headers and the rest are far under 64 KB. */
const MAX_BYTES_PER_CHARACTER = 6;
const ENVELOPE_BYTES = 64 * 1024;

/**
 * The result's size as the platform counts it (its JSON's bytes) when that is over `limit`, else
 * undefined. Serialised only when the body could come near the limit: most answers are far under it.
 */
export function sizeOver(result: LambdaResult, limit: number): number | undefined {
  const characters = result.body?.length ?? 0;
  if (characters * MAX_BYTES_PER_CHARACTER + ENVELOPE_BYTES <= limit) return undefined;
  const size = Buffer.byteLength(JSON.stringify(result));
  return size > limit ? size : undefined;
}

async function collect(stream: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk;
  return text;
}

function withTrailers(response: HttpResponse): Record<string, string> {
  const trailers = response.trailers?.();
  if (trailers === undefined) return response.headers;
  const { trailer: _announced, ...headers } = response.headers;
  return { ...headers, ...trailers };
}

function encodeBody(body: string | Uint8Array, contentType: string | undefined): { body: string; isBase64Encoded: boolean } {
  if (typeof body === 'string') return { body, isBase64Encoded: false };
  if (contentType !== undefined && TEXTUAL.test(contentType)) {
    try {
      return { body: strictUtf8.decode(body), isBase64Encoded: false };
    } catch {
      // Not UTF-8 after all: base64 keeps the bytes intact.
    }
  }
  return { body: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64'), isBase64Encoded: true };
}
