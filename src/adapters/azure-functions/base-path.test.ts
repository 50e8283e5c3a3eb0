import { HttpRequest } from '@azure/functions';
import { afterAll, describe, expect, it } from 'vitest';
import { createGateway } from '../../gateway/gateway.js';
import { createHttpHandler } from '../../http/handler.js';
import type { StartSpan } from '../../http/route.js';
import { FakeProvider, rawDeployment } from '../../routing/testing/fakes.js';
import { createAzureHandler } from './handler.js';
import { asPlatformResponse, recordingContext } from './testing/azure.js';

const CHAT = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });

/**
 * A function app whose host.json sets `extensions.http.routePrefix: "llm"`: the host hands the function
 * the URL as sent, `/llm/v1/...`, and the adapter (given no `routePrefix`) passes that path on; or an app
 * behind API Management or Front Door that forwards `/llm/...` as it came.
 */
describe('server.base_path through the Azure Functions adapter', () => {
  const spans: Array<Parameters<StartSpan>[0]> = [];
  const gateway = createGateway({ server: { base_path: '/llm' }, deployments: [rawDeployment('d')], groups: [{ name: 'chat', deployments: ['d'] }] }, { createProvider: () => new FakeProvider('d') });
  const handler = createHttpHandler(gateway, { startSpan: (start) => (spans.push(start), { end: () => undefined }) });
  const call = (url: string, method = 'GET', routePrefix?: string) =>
    createAzureHandler(handler, { routePrefix })(new HttpRequest({ url, method, headers: { 'content-type': 'application/json' }, body: method === 'POST' ? { string: CHAT } : undefined }), recordingContext().context).then(asPlatformResponse);

  afterAll(async () => {
    await gateway.close();
  });

  it('routes a request under the base path on the rest, and the span records the path sent', async () => {
    spans.length = 0;
    const response = await call('https://gw.azurewebsites.net/llm/v1/chat/completions', 'POST');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ object: 'chat.completion' });
    expect(spans.map((s) => [s.path, s.originalPath])).toEqual([['/v1/chat/completions', '/llm/v1/chat/completions']]);
  });

  it("composes with the adapter's own route prefix: /api taken off by the adapter, /llm by the handler", async () => {
    spans.length = 0;
    const response = await call('https://gw.azurewebsites.net/api/llm/v1/chat/completions', 'POST', 'api');
    expect(response.status).toBe(200);
    expect(spans.map((s) => [s.path, s.originalPath])).toEqual([['/v1/chat/completions', '/api/llm/v1/chat/completions']]);
  });

  it('answers a path outside the base path 404 in the OpenAI shape, and the health probe either way', async () => {
    const outside = await call('https://gw.azurewebsites.net/v1/models');
    expect(outside.status).toBe(404);
    expect(await outside.json()).toMatchObject({ error: { code: 'unknown_route', message: expect.stringContaining('call /llm/v1/models') } });
    for (const path of ['/healthz', '/llm/healthz']) expect([path, (await call(`https://gw.azurewebsites.net${path}`)).status]).toEqual([path, 200]);
  });
});
