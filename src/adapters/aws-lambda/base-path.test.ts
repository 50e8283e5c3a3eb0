import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { createGateway } from '../../gateway/gateway.js';
import { createHttpHandler } from '../../http/handler.js';
import type { StartSpan } from '../../http/route.js';
import { FakeProvider, rawDeployment } from '../../routing/testing/fakes.js';
import { createLambdaHandler } from './handler.js';
import { fakeContext } from './testing/fake-runtime.js';
import { fixture } from './testing/fixtures.js';

const BODY = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });

/**
 * An HTTP API behind the custom domain api.example.com with the API mapping `llm`: the event's rawPath
 * keeps the mapping key (aws-powertools' "Custom Domain API Mappings": the prefixes "are now injected
 * into the path regardless of which type of API Gateway you're using"), and requestContext names the
 * custom domain, not the execute-api one.
 */
function httpApiOnCustomDomain(rawPath: string, method = 'POST'): APIGatewayProxyEventV2 {
  const event = fixture('http-api-v2');
  const { requestContext } = event;
  return {
    ...event,
    rawPath,
    body: method === 'POST' ? BODY : undefined,
    headers: { ...event.headers, host: 'api.example.com', accept: 'application/json' },
    requestContext: { ...requestContext, domainName: 'api.example.com', domainPrefix: 'api', stage: 'prod', http: { ...requestContext.http, method, path: rawPath } },
  };
}

/**
 * A REST API behind the custom domain api.example.com with the base path mapping `llm`: `path` and
 * `requestContext.path` keep the base path, `resource`/`requestContext.resourcePath` is the template
 * (aws/serverless-java-container #34: `"resource":"/{proxy+}","path":"/ping1/ping"`; powertools issue
 * #576), and API Gateway adds a `rawPath` to REST events with a mapping (honojs/hono #5015), which must
 * not make the event pass for an HTTP API's.
 */
function restApiOnCustomDomain(path: string): APIGatewayProxyEvent {
  const event = fixture('rest-api-v1');
  return {
    ...event,
    path,
    rawPath: path,
    body: BODY,
    multiValueHeaders: { ...event.multiValueHeaders, Host: ['api.example.com'], Accept: ['application/json'] },
    pathParameters: { proxy: path.replace(/^\/llm\//, '') },
    requestContext: { ...event.requestContext, domainName: 'api.example.com', domainPrefix: 'api', path, resourcePath: '/{proxy+}' },
  } as APIGatewayProxyEvent;
}

describe('server.base_path through the Lambda adapter (API Gateway custom domains)', () => {
  const spans: Array<Parameters<StartSpan>[0]> = [];
  const provider = new FakeProvider('d');
  const gateway = createGateway({ server: { base_path: '/llm' }, deployments: [rawDeployment('d')], groups: [{ name: 'chat', deployments: ['d'] }] }, { createProvider: () => provider });
  const lambda = createLambdaHandler(createHttpHandler(gateway, { startSpan: (start) => (spans.push(start), { end: () => undefined }) }));

  afterAll(async () => {
    await gateway.close();
  });

  it('routes an HTTP API event whose rawPath keeps the API mapping key, and the span records the path sent', async () => {
    spans.length = 0;
    const result = await lambda(httpApiOnCustomDomain('/llm/v1/chat/completions'), fakeContext());
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body ?? '')).toMatchObject({ object: 'chat.completion' });
    expect(spans.map((s) => [s.path, s.originalPath])).toEqual([['/v1/chat/completions', '/llm/v1/chat/completions']]);
  });

  it('routes a REST API event whose path keeps the base path mapping (a rawPath beside it)', async () => {
    spans.length = 0;
    const result = await lambda(restApiOnCustomDomain('/llm/v1/chat/completions'), fakeContext());
    expect(result.statusCode).toBe(200);
    expect(spans.map((s) => [s.path, s.originalPath])).toEqual([['/v1/chat/completions', '/llm/v1/chat/completions']]);
  });

  it("still takes a REST API's stage off on the execute-api domain, then the base path", async () => {
    const event = { ...fixture('rest-api-v1'), path: '/llm/v1/chat/completions', body: BODY };
    event.requestContext.path = '/prod/llm/v1/chat/completions';
    spans.length = 0;
    const result = await lambda(event, fakeContext());
    expect(result.statusCode).toBe(200);
    expect(spans.map((s) => [s.path, s.originalPath])).toEqual([['/v1/chat/completions', '/prod/llm/v1/chat/completions']]);
  });

  it('answers an event outside the base path 404 in the OpenAI shape, and the health probe either way', async () => {
    const outside = await lambda(httpApiOnCustomDomain('/v1/chat/completions'), fakeContext());
    expect(outside.statusCode).toBe(404);
    expect(JSON.parse(outside.body ?? '')).toMatchObject({ error: { code: 'unknown_route', message: expect.stringContaining('served under /llm') } });
    for (const path of ['/healthz', '/llm/healthz']) {
      const probe = await lambda(httpApiOnCustomDomain(path, 'GET'), fakeContext());
      expect([path, probe.statusCode]).toEqual([path, 200]);
    }
  });
});
