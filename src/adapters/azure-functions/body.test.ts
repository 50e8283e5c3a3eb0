import { HttpRequest as AzureRequest } from '@azure/functions';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { createGateway } from '../../gateway/gateway.js';
import type { HttpHandler } from '../../http/exchange.js';
import { createHttpHandler } from '../../http/handler.js';
import { anthropicShapeProblem, openAIShapeProblem } from '../../ingress/testing/error-shapes.js';
import { FakeProvider, rawDeployment } from '../../routing/testing/fakes.js';
import { createAzureHandler } from './handler.js';
import { asPlatformResponse, recordingContext, slowBody, streamingRequest } from './testing/azure.js';

/** Reads the body under `limit` bytes and 5 s; reports what the reader gave or threw. */
function reading(limit: number): { handler: HttpHandler; outcome: Promise<string | GatewayError> } {
  let settle: (value: string | GatewayError) => void = () => {};
  const outcome = new Promise<string | GatewayError>((r) => (settle = r));
  const handler: HttpHandler = async (request) => {
    if (typeof request.body !== 'function') throw new Error('expected a body reader');
    try {
      settle(Buffer.from(await request.body(limit, 5_000)).toString('utf8'));
    } catch (error) {
      settle(error as GatewayError);
    }
    return { status: 200, headers: {}, body: '' };
  };
  return { handler, outcome };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('the request body of an Azure HTTP trigger', () => {
  it('is read whole from the live stream when it fits the limit', async () => {
    const { handler, outcome } = reading(64);
    const { body, end } = slowBody(['{"model":', '"m"}']);
    end();
    await createAzureHandler(handler)(streamingRequest('https://gw/v1/chat/completions', 'POST', {}, body), recordingContext().context);
    expect(await outcome).toBe('{"model":"m"}');
  });

  it('is refused with 413 on a content-length over the limit, before any byte is read', async () => {
    const { handler, outcome } = reading(8);
    const { body } = slowBody(['{"']);
    await createAzureHandler(handler)(streamingRequest('https://gw/v1/chat/completions', 'POST', { 'content-length': '20' }, body), recordingContext().context);
    expect(await outcome).toMatchObject({ status: 413, code: 'request_too_large' });
  });

  it('is refused with 413 once the bytes sent pass the limit, without waiting for the rest', async () => {
    const { handler, outcome } = reading(8);
    const { body } = slowBody(['{"model":', '"m"}']);
    await createAzureHandler(handler)(streamingRequest('https://gw/v1/chat/completions', 'POST', {}, body), recordingContext().context);
    expect(await outcome).toMatchObject({ status: 413, code: 'request_too_large' });
  });

  it('is refused with 408 when the client does not finish sending it in time', async () => {
    vi.useFakeTimers();
    const { handler, outcome } = reading(64);
    const { body } = slowBody(['{"model":']);
    void createAzureHandler(handler)(streamingRequest('https://gw/v1/chat/completions', 'POST', {}, body), recordingContext().context);
    await vi.advanceTimersByTimeAsync(4_999);
    let done = false;
    void outcome.then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await outcome).toMatchObject({ status: 408, code: 'request_timeout' });
  });
});

/** A stream whose chunks are `chunks` as given (the library types them `any`), left open unless `close`. */
function chunksOf(chunks: unknown[], close = false): { body: never; cancelled: () => boolean } {
  let cancelled = false;
  const body = new ReadableStream<unknown>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      if (close) controller.close();
    },
    cancel: () => void (cancelled = true),
  });
  return { body: body as never, cancelled: () => cancelled };
}

describe('a request body stream whose chunks are not bytes', () => {
  for (const [kind, chunk] of [
    ['a string', '{"model":"m"}'],
    ['a number', 42],
    ['an object', { model: 'm' }],
    ['an ArrayBuffer', new TextEncoder().encode('{}').buffer],
  ] as const) {
    it(`is refused with 400 invalid_body when a chunk is ${kind}, and the rest is cancelled`, async () => {
      const { handler, outcome } = reading(64);
      const { body, cancelled } = chunksOf([new TextEncoder().encode('{"a":'), chunk]);
      await createAzureHandler(handler)(streamingRequest('https://gw/v1/chat/completions', 'POST', {}, body), recordingContext().context);
      expect(await outcome).toMatchObject({ status: 400, code: 'invalid_body' });
      expect(cancelled()).toBe(true);
    });
  }

  it("is answered 400 in the door's error shape through the gateway, not as an internal error", async () => {
    const gateway = createGateway({ api_keys: [{ id: 'k', key: 'sk-azure-body-0123456789' }], deployments: [rawDeployment('d')], groups: [{ name: 'chat', deployments: ['d'] }] }, { createProvider: () => new FakeProvider('d') });
    const { context, logs } = recordingContext();
    const headers = { 'x-api-key': 'sk-azure-body-0123456789', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' };
    const request = streamingRequest('https://gw/v1/messages', 'POST', headers, chunksOf(['{"model":"chat"}'], true).body);
    const response = asPlatformResponse(await createAzureHandler(createHttpHandler(gateway))(request, context));
    expect(response.status).toBe(400);
    expect(anthropicShapeProblem(await response.json())).toBeUndefined();
    expect(logs.filter((l) => l.level === 'error')).toEqual([]);
    await gateway.close();
  });

  describe('already read before the handler ran (a preInvocation hook or other middleware consumed request.body)', () => {
    const consumers: ReadonlyArray<readonly [string, (request: AzureRequest) => Promise<unknown>]> = [
      ['read whole with text()', (request) => request.text()],
      ['locked by a reader left holding it', async (request) => request.body?.getReader()],
      [
        'drained and its reader released',
        async (request) => {
          const reader = request.body?.getReader();
          while (reader && !(await reader.read()).done);
          reader?.releaseLock();
        },
      ],
    ];
    for (const [how, consume] of consumers) {
      it(`${how}: a 500 in the door's error shape naming the deployment fault, logged once, never read as the client's body`, async () => {
        const errors: string[] = [];
        const logger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: (obj, msg) => void errors.push(`${msg ?? ''} ${JSON.stringify(obj)}`), child: () => logger };
        const gateway = createGateway({ deployments: [rawDeployment('d')], groups: [{ name: 'chat', deployments: ['d'] }] }, { createProvider: () => new FakeProvider('d') });
        const { context, logs } = recordingContext();
        const body = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });
        const request = new AzureRequest({ url: 'https://gw/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body: { string: body } });
        await consume(request);
        const response = asPlatformResponse(await createAzureHandler(createHttpHandler(gateway, { logger }))(request, context));
        expect(response.status).toBe(500);
        const answer: unknown = await response.json();
        expect(openAIShapeProblem(answer)).toBeUndefined();
        expect(answer).toEqual({ error: { message: "The request body was already read before Switchyard's handler ran.", type: 'server_error', param: null, code: null } });
        expect(errors).toHaveLength(1);
        expect(errors[0]).toContain('already read');
        expect(logs.filter((l) => l.level === 'error')).toEqual([]);
        await gateway.close();
      });
    }
  });
});
