import type { ALBEvent, APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { decode, joinedHeaders, type ClientRequest } from '../../testing/client-requests.js';
import type { LambdaHttpEvent } from '../request.js';
import { fixture } from './fixtures.js';

export type LambdaShape = 'http-api' | 'function-url' | 'rest-api' | 'alb-multi' | 'alb-single';
export const LAMBDA_SHAPES: readonly LambdaShape[] = ['http-api', 'function-url', 'rest-api', 'alb-multi', 'alb-single'];

/** What the gateway must see of a client's request behind one front door: what the platform keeps of it. */
export interface Seen {
  readonly method: string;
  readonly path: string;
  /** The query as sent, where the platform hands it over so (payload 2.0). */
  readonly query?: string;
  /** Otherwise its decoded name/value pairs, in the order the platform lists them. */
  readonly pairs?: ReadonlyArray<readonly [string, string]>;
  readonly headers: Record<string, string>;
  readonly body: Buffer | undefined;
}

type Lines = ReadonlyArray<readonly [string, string]>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isUtf8(bytes: Buffer): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** The event's body: base64 for bytes that are not UTF-8 (as every front door sends them), and for others when `base64`. */
function eventBody(body: Buffer | undefined, base64: boolean): { body: string | undefined; isBase64Encoded: boolean } {
  if (body === undefined) return { body: undefined, isBase64Encoded: false };
  if (base64 || !isUtf8(body)) return { body: body.toString('base64'), isBase64Encoded: true };
  return { body: body.toString('utf8'), isBase64Encoded: false };
}

function grouped(lines: Lines, name: (n: string) => string): Record<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [n, v] of lines) out.set(name(n), [...(out.get(name(n)) ?? []), v]);
  return Object.fromEntries(out);
}

function lastOf(groups: Record<string, string[]>): Record<string, string> {
  return Object.fromEntries(Object.entries(groups).map(([n, vs]) => [n, vs[vs.length - 1] as string]));
}

function queryGroups(query: string, decodeParts: boolean): Record<string, string[]> | null {
  if (query === '') return null;
  const pairs = query.split('&').map((pair): readonly [string, string] => {
    const eq = pair.indexOf('=');
    const [n, v] = eq === -1 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
    return decodeParts ? [decode(n), decode(v)] : [n, v];
  });
  return grouped(pairs, (n) => n);
}

/**
 * The event AWS hands the function for `req` behind `shape`, and what the gateway must see of it, as AWS
 * documents and public captures show (middleapi/standard-server#93, from hotsock/voker#8): HTTP APIs
 * decode the path (`rawPath`), REST APIs, Function URLs and ALBs keep it as sent; payload 2.0 joins
 * repeated headers with "," and moves cookies to `cookies`; REST APIs decode query values and keep
 * header names as sent, both single- and multi-value; an ALB keeps the query as sent and lower-cases
 * names, and without multi-value headers keeps only the last of each header and query parameter.
 */
export function lambdaEvent(shape: LambdaShape, req: ClientRequest, base64: boolean): { event: LambdaHttpEvent; seen: Seen } {
  const { body, isBase64Encoded } = eventBody(req.body, base64);
  if (shape === 'http-api' || shape === 'function-url') {
    const v2 = fixture(shape === 'http-api' ? 'http-api-v2' : 'function-url');
    const rawPath = shape === 'http-api' ? decode(req.path) : req.path;
    const cookies = req.headers.filter(([n]) => n.toLowerCase() === 'cookie').flatMap(([, v]) => v.split('; '));
    const headers = joinedHeaders(
      req.headers.filter(([n]) => n.toLowerCase() !== 'cookie'),
      ',',
    );
    const event: APIGatewayProxyEventV2 = {
      ...v2,
      rawPath,
      rawQueryString: req.query,
      headers,
      cookies: cookies.length > 0 ? cookies : undefined,
      queryStringParameters: undefined,
      body,
      isBase64Encoded,
      requestContext: { ...v2.requestContext, http: { ...v2.requestContext.http, method: req.method, path: rawPath } },
    };
    const seenHeaders = cookies.length > 0 ? { ...headers, cookie: cookies.join('; ') } : headers;
    return { event, seen: { method: req.method, path: rawPath, query: req.query, headers: seenHeaders, body: req.body } };
  }
  if (shape === 'rest-api') {
    const v1 = fixture('rest-api-v1');
    const multiValueHeaders = grouped(req.headers, (n) => n);
    const multiValueQueryStringParameters = queryGroups(req.query, true);
    const event: APIGatewayProxyEvent = {
      ...v1,
      httpMethod: req.method,
      path: req.path,
      headers: lastOf(multiValueHeaders),
      multiValueHeaders,
      queryStringParameters: multiValueQueryStringParameters && lastOf(multiValueQueryStringParameters),
      multiValueQueryStringParameters,
      pathParameters: { proxy: decode(req.path.slice(1)) },
      body: body ?? null,
      isBase64Encoded,
      requestContext: { ...v1.requestContext, httpMethod: req.method, path: `/prod${req.path}` },
    };
    return { event, seen: { method: req.method, path: req.path, pairs: pairsOf(multiValueQueryStringParameters), headers: joinedHeaders(req.headers), body: req.body } };
  }
  const alb = fixture('alb');
  const { multiValueHeaders: _h, multiValueQueryStringParameters: _q, ...single } = alb;
  const headerGroups = grouped(req.headers, (n) => n.toLowerCase());
  const queryParts = queryGroups(req.query, false);
  if (shape === 'alb-multi') {
    const event: ALBEvent = { ...alb, httpMethod: req.method, path: req.path, multiValueHeaders: headerGroups, multiValueQueryStringParameters: queryParts ?? {}, body: body ?? '', isBase64Encoded };
    return { event, seen: { method: req.method, path: req.path, pairs: pairsOf(queryParts), headers: joinedHeaders(req.headers), body: req.body ?? Buffer.alloc(0) } };
  }
  const headers = lastOf(headerGroups);
  const queryStringParameters = queryParts === null ? {} : lastOf(queryParts);
  const event: ALBEvent = { ...single, httpMethod: req.method, path: req.path, headers, queryStringParameters, body: body ?? '', isBase64Encoded };
  const pairs = Object.entries(queryStringParameters).map(([n, v]) => [decode(n), decode(v)] as const);
  return { event, seen: { method: req.method, path: req.path, pairs, headers, body: req.body ?? Buffer.alloc(0) } };
}

/** Decoded pairs of grouped parameters (decoding twice changes nothing here: no value of the fuzzer's holds a `%` once decoded). */
function pairsOf(groups: Record<string, string[]> | null): Array<readonly [string, string]> {
  if (groups === null) return [];
  return Object.entries(groups).flatMap(([n, vs]) => vs.map((v) => [decode(n), decode(v)] as const));
}
