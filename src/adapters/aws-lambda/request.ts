import type { ALBEvent, APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import type { CancelSignal } from '../../core/cancel.js';
import { isObject } from '../../core/json.js';
import type { HttpRequest } from '../../http/exchange.js';

/** API Gateway HTTP API (payload 2.0) and Function URLs share one shape; REST APIs and ALB have theirs. */
export type LambdaHttpEvent = APIGatewayProxyEventV2 | APIGatewayProxyEvent | ALBEvent;

type Multi = Readonly<Record<string, readonly string[] | undefined>>;
type Single = Readonly<Record<string, string | undefined>>;

// Both take any value: the answer to a malformed event is shaped by them too.
export function isV2(event: unknown): event is APIGatewayProxyEventV2 {
  return isObject(event) && event.version === '2.0';
}

export function isAlb(event: unknown): event is ALBEvent {
  return isObject(event) && isObject(event.requestContext) && 'elb' in event.requestContext;
}

/** The request's method, upper-case; undefined for an event that names none (a malformed one). */
export function methodOf(event: unknown): string | undefined {
  if (!isObject(event)) return undefined;
  const method = isV2(event) ? (isObject(event.requestContext) && isObject(event.requestContext.http) ? event.requestContext.http.method : undefined) : event.httpMethod;
  return typeof method === 'string' ? method.toUpperCase() : undefined;
}

/** Translates an HTTP event of any AWS front door, one `eventProblem` passed, into the runtime-neutral request. */
export function toHttpRequest(event: LambdaHttpEvent, signal: CancelSignal): HttpRequest {
  const body = event.body === null || event.body === undefined ? undefined : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  if (isV2(event)) {
    const headers = joinHeaders(undefined, event.headers);
    if (event.cookies !== undefined && event.cookies.length > 0) headers.cookie = event.cookies.join('; ');
    const http = event.requestContext.http;
    return { method: http.method.toUpperCase(), path: v2Path(event), originalPath: event.rawPath, pathDecoded: !isFunctionUrl(event), query: event.rawQueryString, scheme: 'https', httpVersion: http.protocol, headers, body, signal, remoteAddress: http.sourceIp };
  }
  const headers = joinHeaders(event.multiValueHeaders ?? undefined, event.headers ?? undefined);
  const alb = isAlb(event);
  // API Gateway hands query values decoded; ALB passes them as the client sent them (still encoded).
  const encode = alb ? (s: string) => s : encodeDecoded;
  const query = joinQuery(event.multiValueQueryStringParameters ?? undefined, event.queryStringParameters ?? undefined, encode);
  const remoteAddress = alb ? headers['x-forwarded-for']?.split(',')[0]?.trim() : (event as APIGatewayProxyEvent).requestContext.identity?.sourceIp;
  // HTTP APIs, Function URLs and REST APIs take only HTTPS; an ALB may listen on HTTP too, and names its
  // listener's protocol in x-forwarded-proto (only `http` alone is read as HTTP: a span's label, no more).
  const scheme = alb && headers['x-forwarded-proto'] === 'http' ? 'http' : 'https';
  // API Gateway names the client's protocol (`HTTP/1.1`) and the path it sent, a stage in front on the
  // execute-api domain (`/prod/v1/...`, where `path` has none); an ALB hands the path as sent and no protocol.
  const context = alb ? undefined : (event as APIGatewayProxyEvent).requestContext;
  // An HTTP API's payload 1.0, unlike a REST API's event, says its version.
  const pathDecoded = (event as { version?: unknown }).version === '1.0';
  return { method: event.httpMethod.toUpperCase(), path: event.path, originalPath: context?.path, pathDecoded, query, scheme, httpVersion: context?.protocol, headers, body, signal, remoteAddress };
}

/*
 * API Gateway's HTTP APIs hand the path over percent-decoded, payload 2.0's `rawPath` (and
 * `requestContext.http.path`) and 1.0's `path` alike, decoded twice even (`%252F` arrives as `/`), and
 * no field keeps it as sent; Function URLs (payload 2.0 as well), REST APIs (`path`, and
 * `requestContext.path` with the stage) and ALBs keep it as the client encoded it. Live captures:
 * hotsock/voker vokerhttp/testdata (ingress-paths.json, *-request.json); middleapi/standard-server#93;
 * fastify/aws-lambda-fastify#169, honojs/hono#2156 for HTTP APIs. A Function URL's event names its own
 * domain, `<url-id>.lambda-url.<region>.on.aws`, behind CloudFront too; an HTTP API's, execute-api or custom.
 */
const FUNCTION_URL_DOMAIN = /^[^.]+\.lambda-url\./;

function isFunctionUrl(event: APIGatewayProxyEventV2): boolean {
  const domain: unknown = event.requestContext.domainName;
  return typeof domain === 'string' && FUNCTION_URL_DOMAIN.test(domain);
}

/**
 * HTTP APIs put a named stage in front of the path on their execute-api domain (`/prod/v1/...`);
 * custom domains and `$default` don't. The gateway routes on the path the client meant (the span
 * records `rawPath`, the one it sent).
 */
function v2Path(event: APIGatewayProxyEventV2): string {
  const { stage, domainPrefix, apiId } = event.requestContext;
  const prefix = `/${stage}`;
  if (stage === '$default' || domainPrefix !== apiId || !event.rawPath.startsWith(prefix)) return event.rawPath;
  const rest = event.rawPath.slice(prefix.length);
  if (rest === '') return '/';
  return rest.startsWith('/') ? rest : event.rawPath;
}

/** Lower-case names; repeated values joined with ", " (cookies with "; "). Multi-value wins when present. */
function joinHeaders(multi: Multi | undefined, single: Single | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (name: string, value: string): void => {
    const key = name.toLowerCase();
    // Own values only: `constructor`, `toString` and the like are header names a client may send.
    const prev = Object.hasOwn(out, key) ? out[key] : undefined;
    out[key] = prev === undefined ? value : prev + (key === 'cookie' ? '; ' : ', ') + value;
  };
  if (multi !== undefined) {
    for (const [name, values] of Object.entries(multi)) for (const v of values ?? []) add(name, v);
  } else if (single !== undefined) {
    for (const [name, value] of Object.entries(single)) if (value !== undefined) add(name, value);
  }
  return out;
}

/**
 * A decoded query value encoded again. A lone UTF-16 surrogate (a `\ud800` escape in the event's JSON)
 * would make encodeURIComponent throw and fail the invocation, a bare 502 from API Gateway: it becomes
 * U+FFFD, as a decoder of malformed UTF-8 makes it.
 */
function encodeDecoded(value: string): string {
  return encodeURIComponent(value.replace(LONE_SURROGATE, '\ufffd'));
}

const LONE_SURROGATE = /\p{Surrogate}/gu;

function joinQuery(multi: Multi | undefined, single: Single | undefined, encode: (s: string) => string): string {
  const parts: string[] = [];
  if (multi !== undefined) {
    for (const [name, values] of Object.entries(multi)) for (const v of values ?? []) parts.push(`${encode(name)}=${encode(v)}`);
  } else if (single !== undefined) {
    for (const [name, value] of Object.entries(single)) if (value !== undefined) parts.push(`${encode(name)}=${encode(value)}`);
  }
  return parts.join('&');
}
