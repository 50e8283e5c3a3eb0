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
