import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import type { HttpHandler, HttpRequest as ExchangeRequest, HttpResponse as ExchangeResponse } from '../../http/exchange.js';
import { createAzureHandler } from './handler.js';
import { asPlatformResponse, recordingContext } from './testing/azure.js';

const JSON_ANSWER: ExchangeResponse = { status: 200, headers: { 'content-type': 'application/json', 'x-request-id': 'r1' }, body: '{"ok":true}' };

/** A handler that keeps what it was given and reads the body under a 1 KiB limit. */
function recorder(answer: ExchangeResponse = JSON_ANSWER): { handler: HttpHandler; seen: Array<{ request: ExchangeRequest; body: string | undefined }> } {
  const seen: Array<{ request: ExchangeRequest; body: string | undefined }> = [];
  const handler: HttpHandler = async (request) => {
    const bytes = typeof request.body === 'function' ? await request.body(1024, 1000) : request.body;
    seen.push({ request, body: bytes && Buffer.from(bytes).toString('utf8') });
    return answer;
  };
  return { handler, seen };
}

describe('createAzureHandler', () => {
  it('hands the handler method, path, query, the https scheme, lower-case headers and the body, and answers its JSON', async () => {
    const { handler, seen } = recorder();
    const { context } = recordingContext();
    const request = new HttpRequest({
      url: 'https://gw.azurewebsites.net/v1/chat/completions?api-version=1&x=2',
      method: 'POST',
      headers: { Authorization: 'Bearer sk-1', 'Content-Type': 'application/json' },
      body: { string: '{"model":"m"}' },
    });
    const init = await createAzureHandler(handler)(request, context);
    const response = asPlatformResponse(init);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('r1');
    expect(await response.json()).toEqual({ ok: true });
    const [{ request: got, body }] = seen as [(typeof seen)[0]];
    expect(got).toMatchObject({ method: 'POST', path: '/v1/chat/completions', query: 'api-version=1&x=2', scheme: 'https' });
    expect(got.headers).toMatchObject({ authorization: 'Bearer sk-1', 'content-type': 'application/json' });
    expect(body).toBe('{"model":"m"}');
    expect(got.signal.aborted).toBe(false);
  });

  it('gives a GET no body and an empty query when there is none', async () => {
    const { handler, seen } = recorder();
    await createAzureHandler(handler)(new HttpRequest({ url: 'https://gw/v1/models', method: 'GET' }), recordingContext().context);
    expect(seen[0]?.request).toMatchObject({ method: 'GET', path: '/v1/models', query: '', body: undefined });
  });

  it('takes the route prefix off the path when the app keeps one', async () => {
    const { handler, seen } = recorder();
    const azure = createAzureHandler(handler, { routePrefix: 'api' });
    await azure(new HttpRequest({ url: 'https://gw/api/v1/models', method: 'GET' }), recordingContext().context);
    await azure(new HttpRequest({ url: 'https://gw/api', method: 'GET' }), recordingContext().context);
    await azure(new HttpRequest({ url: 'https://gw/apis/v1', method: 'GET' }), recordingContext().context);
    expect(seen.map((s) => s.request.path)).toEqual(['/v1/models', '/', '/apis/v1']);
    // The span's http.route and url.path keep the prefix the client sent.
    expect(seen.map((s) => s.request.originalPath)).toEqual(['/api/v1/models', '/api', '/apis/v1']);
  });

  it('passes bytes and the status through, and drops a trailer announcement Azure cannot honour', async () => {
    const bytes = new TextEncoder().encode('{"error":{}}');
    const { handler } = recorder({ status: 429, headers: { 'content-type': 'application/json', trailer: 'x-switchyard-cost-usd', 'retry-after': '1' }, body: bytes });
    const response = asPlatformResponse(await createAzureHandler(handler)(new HttpRequest({ url: 'https://gw/v1/models', method: 'GET' }), recordingContext().context));
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(response.headers.has('trailer')).toBe(false);
    expect(await response.text()).toBe('{"error":{}}');
  });

  it('awaits onSettled before answering a JSON request', async () => {
    const order: string[] = [];
    const handler: HttpHandler = async () => {
      order.push('handled');
      return JSON_ANSWER;
    };
    const onSettled = async () => {
      await new Promise((r) => setTimeout(r, 5));
      order.push('settled');
    };
    await createAzureHandler(handler, { onSettled })(new HttpRequest({ url: 'https://gw/v1/models', method: 'GET' }), recordingContext().context);
    order.push('answered');
    expect(order).toEqual(['handled', 'settled', 'answered']);
  });

  it('answers a handler that throws with a 500 in the OpenAI shape, logs it and still settles', async () => {
    const { context, logs } = recordingContext();
    let settled = 0;
    const handler: HttpHandler = () => Promise.reject(new Error('boom'));
    const init = await createAzureHandler(handler, { onSettled: async () => void settled++ })(new HttpRequest({ url: 'https://gw/v1/models', method: 'GET' }), context);
    const response = asPlatformResponse(init);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: { message: 'Internal gateway error.', type: 'server_error', param: null, code: null } });
    expect(settled).toBe(1);
    expect(logs.some((l) => l.level === 'error' && l.text.includes('boom'))).toBe(true);
  });

  it('answers a handler that throws in the error shape of the front door the path belongs to, after the route prefix', async () => {
    const { context } = recordingContext();
    const handler: HttpHandler = () => Promise.reject(new Error('boom'));
    const init = await createAzureHandler(handler, { routePrefix: 'api' })(new HttpRequest({ url: 'https://gw/api/v1/messages', method: 'POST', body: { string: '{}' } }), context);
    const response = asPlatformResponse(init);
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'api_error' } });
  });

  it('takes server.base_path off after the route prefix before picking the error shape of a failed handler\'s 500', async () => {
    const { context } = recordingContext();
    const handler: HttpHandler = () => Promise.reject(new Error('boom'));
    const init = await createAzureHandler(handler, { routePrefix: 'api', basePath: () => '/llm' })(new HttpRequest({ url: 'https://gw/api/llm/v1/messages', method: 'POST', body: { string: '{}' } }), context);
    const response = asPlatformResponse(init);
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'api_error' } });
  });

  it('logs what failed by name and message, scrubbed as the Lambda and Cloud Functions adapters log it, never a stack', async () => {
    const { context, logs } = recordingContext();
    const failure = new Error('cannot read sk-live-4f3c9a1b7e2d8c6a');
    await createAzureHandler(() => Promise.reject(failure), { onSettled: () => Promise.reject(failure) })(new HttpRequest({ url: 'https://gw/v1/models', method: 'GET' }), context);
    expect(logs.filter((l) => l.level === 'error').map((l) => l.text)).toEqual([
      'switchyard: the handler failed Error: cannot read [redacted]',
      'switchyard: settling after the answer failed Error: cannot read [redacted]',
    ]);
  });

  it('logs a failed onSettled without failing the answer', async () => {
    const { context, logs } = recordingContext();
    const { handler } = recorder();
    const init = await createAzureHandler(handler, { onSettled: () => Promise.reject(new Error('store down')) })(new HttpRequest({ url: 'https://gw/v1/models', method: 'GET' }), context);
    expect(init.status).toBe(200);
    expect(logs.some((l) => l.level === 'error' && l.text.includes('store down'))).toBe(true);
  });
});
