import type { ALBEvent, APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { createHttpHandler } from '../../http/handler.js';
import { DOT_DOT_MODEL, modelRouteGateway, SLASHED_MODEL } from '../testing/model-route.js';
import { createLambdaHandler } from './handler.js';
import type { LambdaHttpEvent } from './request.js';
import { toHttpRequest } from './request.js';
import { fakeContext } from './testing/fake-runtime.js';
import { fixture } from './testing/fixtures.js';

/** A GET of `rawPath` as an HTTP API (payload 2.0) or a Function URL hands it over: the path as the front door keeps it. */
function v2Get(name: 'http-api-v2' | 'function-url', rawPath: string): APIGatewayProxyEventV2 {
  const event = fixture(name);
  return { ...event, rawPath, body: undefined, requestContext: { ...event.requestContext, http: { ...event.requestContext.http, method: 'GET', path: rawPath } } };
}

function restGet(path: string): APIGatewayProxyEvent {
  const event = fixture('rest-api-v1');
  return { ...event, httpMethod: 'GET', path, body: null, pathParameters: { proxy: path.slice(1) }, requestContext: { ...event.requestContext, httpMethod: 'GET', path: `/prod${path}` } };
}

function albGet(path: string): ALBEvent {
  return { ...fixture('alb'), httpMethod: 'GET', path, body: '' };
}

/**
 * The client's `GET /v1/models/<id>` as each AWS front door hands it to the function, `sent` being the
 * path as the client encoded it: an HTTP API decodes it (hotsock/voker's live captures:
 * `/capture/slash%2Fvalue` arrives as `rawPath: "/capture/slash/value"`); Function URLs, REST APIs and
 * ALBs keep it as sent.
 */
function events(sent: string): Array<[string, LambdaHttpEvent]> {
  return [
    ['HTTP API', v2Get('http-api-v2', decodeURIComponent(sent))],
    ['Function URL', v2Get('function-url', sent)],
    ['REST API', restGet(sent)],
    ['ALB', albGet(sent)],
  ];
}

const modelPath = (id: string): string => `/v1/models/${encodeURIComponent(id)}`;

describe('path parameters holding an encoded slash, behind every AWS front door', () => {
  const gateway = modelRouteGateway();
  const lambda = createLambdaHandler(createHttpHandler(gateway));
  const under = modelRouteGateway('/llm');
  const lambdaUnder = createLambdaHandler(createHttpHandler(under));

  afterAll(async () => {
    await gateway.close();
    await under.close();
  });

  for (const [name, event] of events(modelPath(SLASHED_MODEL))) {
    it(`hands a {model+} route the id whole through ${name === 'HTTP API' ? 'an' : 'a'} ${name}, whose path is ${name === 'HTTP API' ? 'decoded' : 'as sent'}`, async () => {
      const result = await lambda(event, fakeContext());
      expect([name, result.statusCode]).toEqual([name, 200]);
      expect(JSON.parse(result.body ?? '')).toMatchObject({ id: SLASHED_MODEL, object: 'model' });
    });
  }

  for (const [name, event] of events(modelPath(DOT_DOT_MODEL))) {
    it(`answers an id with .. parts 404 through ${name === 'HTTP API' ? 'an' : 'a'} ${name}: no route takes it, none other is reached`, async () => {
      const result = await lambda(event, fakeContext());
      expect([name, result.statusCode]).toEqual([name, 404]);
      expect(JSON.parse(result.body ?? '')).toMatchObject({ error: { code: 'unknown_route' } });
    });
  }

  it("takes an HTTP API's path as decoded: a % in it is the client's own and is never decoded again", async () => {
    // The client sent org%2Fx%2541 and org%2F50%2525off; API Gateway decoded them (the latter twice, as its captures show).
    for (const [rawPath, id] of [
      ['/v1/models/org/x%41', 'org/x%41'],
      ['/v1/models/org/50%off', 'org/50%off'],
    ] as const) {
      const result = await lambda(v2Get('http-api-v2', rawPath), fakeContext());
      expect([rawPath, result.statusCode, JSON.parse(result.body ?? '')]).toMatchObject([rawPath, 200, { id }]);
    }
    // A Function URL keeps the path as sent: the same bytes there are an encoding.
    const sent = await lambda(v2Get('function-url', '/v1/models/org%2Fx%2541'), fakeContext());
    expect(JSON.parse(sent.body ?? '')).toMatchObject({ id: 'org/x%41' });
  });

  it("keeps an HTTP API's path decoded under server.base_path, once the handler took the prefix off", async () => {
    const result = await lambdaUnder(v2Get('http-api-v2', '/llm/v1/models/org/x%41'), fakeContext());
    expect([result.statusCode, JSON.parse(result.body ?? '')]).toMatchObject([200, { id: 'org/x%41' }]);
  });

  it('tells the handler which events carry a decoded path: HTTP APIs, payload 2.0 and 1.0; not Function URLs, REST APIs or ALBs', () => {
    const signal = new AbortController().signal;
    const decoded = (event: LambdaHttpEvent): boolean | undefined => toHttpRequest(event, signal).pathDecoded;
    expect(decoded(fixture('http-api-v2'))).toBe(true);
    expect(decoded(fixture('function-url'))).toBe(false);
    expect(decoded(fixture('rest-api-v1'))).toBe(false);
    expect(decoded(fixture('alb'))).toBe(false);
    // An HTTP API's payload 1.0 has a REST API's shape, and says its version (a REST API's event does not).
    expect(decoded({ ...fixture('rest-api-v1'), version: '1.0' } as APIGatewayProxyEvent)).toBe(true);
    // An HTTP API on a custom domain, and a Function URL in another partition, are told by the domain the event names.
    const custom = fixture('http-api-v2');
    custom.requestContext.domainName = 'llm.example.com';
    expect(decoded(custom)).toBe(true);
    const china = fixture('function-url');
    china.requestContext.domainName = 'a1b2c3.lambda-url.cn-north-1.on.amazonwebservices.com.cn';
    expect(decoded(china)).toBe(false);
  });
});
