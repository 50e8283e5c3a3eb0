import { isObject } from '../../core/json.js';

/*
 * What the adapter reads of an event, checked against the shapes @types/aws-lambda gives them
 * (APIGatewayProxyEventV2, APIGatewayProxyEvent, ALBEvent) before anything reads it: an invocation
 * can carry any JSON (a console test event, a direct Invoke, another trigger wired to the function),
 * and a field of another type would otherwise throw or be read as something it is not.
 */

/** What is wrong with an event, naming the field and never quoting a value; undefined for a well-formed HTTP event. */
export function eventProblem(event: unknown): string | undefined {
  if (!isObject(event)) return 'the event is not an object';
  const context = event.requestContext;
  if (!isObject(context)) return 'requestContext is not an object';
  if (event.version === '2.0') return v2Problem(event, context);
  return v1Problem(event, context);
}

/** The path the event names, when it names one as a string: the error answer's front door. */
export function eventPath(event: unknown): string | undefined {
  if (!isObject(event)) return undefined;
  const path = event.version === '2.0' ? event.rawPath : event.path;
  return typeof path === 'string' ? path : undefined;
}

/** HTTP API payload 2.0 and Function URLs. */
function v2Problem(event: Record<string, unknown>, context: Record<string, unknown>): string | undefined {
  const http = context.http;
  if (!isObject(http)) return 'requestContext.http is not an object';
  return (
    methodProblem(http.method, 'requestContext.http.method') ??
    optionalStrings(http, ['protocol', 'sourceIp'], 'requestContext.http') ??
    // The stage and domain tell a stage prefix in the path apart (request.ts, v2Path).
    requiredStrings(context, ['stage', 'domainPrefix', 'apiId'], 'requestContext') ??
    pathProblem(event.rawPath, 'rawPath') ??
    (typeof event.rawQueryString === 'string' ? undefined : 'rawQueryString is not a string') ??
    (isObject(event.headers) ? singleProblem(event.headers, 'headers') : 'headers is not an object') ??
    (event.cookies === undefined || isStringList(event.cookies) ? undefined : 'cookies is not a list of strings') ??
    bodyProblem(event)
  );
}

/** REST APIs (payload 1.0) and ALB target groups. */
function v1Problem(event: Record<string, unknown>, context: Record<string, unknown>): string | undefined {
  const identity = context.identity;
  return (
    methodProblem(event.httpMethod, 'httpMethod') ??
    pathProblem(event.path, 'path') ??
    optionalStrings(context, ['path', 'protocol'], 'requestContext') ??
    (identity === undefined || identity === null || isObject(identity) ? undefined : 'requestContext.identity is not an object') ??
    (isObject(identity) ? optionalStrings(identity, ['sourceIp'], 'requestContext.identity') : undefined) ??
    mapProblem(event, 'headers', singleProblem) ??
    mapProblem(event, 'multiValueHeaders', multiProblem) ??
    mapProblem(event, 'queryStringParameters', singleProblem) ??
    mapProblem(event, 'multiValueQueryStringParameters', multiProblem) ??
    bodyProblem(event)
  );
}

function methodProblem(method: unknown, name: string): string | undefined {
  return typeof method === 'string' && method !== '' ? undefined : `${name} is not a method name`;
}

function pathProblem(path: unknown, name: string): string | undefined {
  return typeof path === 'string' && path.startsWith('/') ? undefined : `${name} is not a path`;
}

function optionalStrings(object: Record<string, unknown>, keys: readonly string[], at: string): string | undefined {
  const bad = keys.find((key) => object[key] !== undefined && object[key] !== null && typeof object[key] !== 'string');
  return bad === undefined ? undefined : `${at}.${bad} is not a string`;
}

function requiredStrings(object: Record<string, unknown>, keys: readonly string[], at: string): string | undefined {
  const bad = keys.find((key) => typeof object[key] !== 'string');
  return bad === undefined ? undefined : `${at}.${bad} is not a string`;
}

/** A map the event may leave out or set to null (REST APIs send `headers: null` for a request without any). */
function mapProblem(event: Record<string, unknown>, key: string, check: (map: Record<string, unknown>, name: string) => string | undefined): string | undefined {
  const map = event[key];
  if (map === undefined || map === null) return undefined;
  return isObject(map) ? check(map, key) : `${key} is not an object`;
}

function singleProblem(map: Record<string, unknown>, name: string): string | undefined {
  for (const value of Object.values(map)) if (value !== undefined && typeof value !== 'string') return `a value of ${name} is not a string`;
  return undefined;
}

function multiProblem(map: Record<string, unknown>, name: string): string | undefined {
  for (const values of Object.values(map)) if (values !== undefined && values !== null && !isStringList(values)) return `a value of ${name} is not a list of strings`;
  return undefined;
}

function isStringList(value: unknown): boolean {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

// Standard base64 with its padding, as every AWS front door writes a binary body; Buffer.from would
// skip any other character without a word and hand the handler bytes the client never sent. A search
// for one character outside the alphabet, then the padding's place: an anchored `^[...]*={0,2}$` took
// 40-70 ms on a 6 MB body, this 6-17 ms (a decode takes 3-6).
const NOT_BASE64 = /[^A-Za-z0-9+/=]/;

function isPaddedBase64(body: string): boolean {
  if (body.length % 4 !== 0 || NOT_BASE64.test(body)) return false;
  const padding = body.indexOf('=');
  return padding === -1 || (padding >= body.length - 2 && (padding === body.length - 1 || body.charCodeAt(body.length - 1) === 61));
}

function bodyProblem(event: Record<string, unknown>): string | undefined {
  const { body, isBase64Encoded } = event;
  if (isBase64Encoded !== undefined && typeof isBase64Encoded !== 'boolean') return 'isBase64Encoded is not a boolean';
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'string') return 'body is not a string';
  if (isBase64Encoded === true && !isPaddedBase64(body)) return 'body is not valid base64';
  return undefined;
}
