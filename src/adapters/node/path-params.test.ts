import { request as httpRequest } from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOT_DOT_MODEL, modelRouteGateway, SLASHED_MODEL } from '../testing/model-route.js';
import { listenFront } from '../testing/listen.js';
import { createHttpServer } from './server.js';

/** The status and body of a GET whose request-target goes on the wire exactly as written (no client normalizes it). */
function rawGet(url: string, target: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const req = httpRequest({ host: hostname, port, path: target, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject).end();
  });
}

// node:http hands over the request-target as sent, `%2F` included: the route decodes it.
describe('path parameters holding an encoded slash, on the node server', () => {
  let front: Awaited<ReturnType<typeof listenFront>>;

  beforeAll(async () => {
    const gateway = modelRouteGateway();
    front = await listenFront(createHttpServer(gateway), gateway);
  });

  afterAll(async () => {
    await front.close();
  });

  it("hands a {model+} route the id the openai SDK's models.retrieve sent, / included", async () => {
    const client = new OpenAI({ baseURL: `${front.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
    expect(await client.models.retrieve(SLASHED_MODEL)).toMatchObject({ id: SLASHED_MODEL, object: 'model' });
  });

  it('answers an id with .. parts 404, encoded or not: no route takes it, none other is reached', async () => {
    const client = new OpenAI({ baseURL: `${front.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
    const failure = await client.models.retrieve(DOT_DOT_MODEL).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OpenAI.NotFoundError);
    expect((failure as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('unknown_route');
    for (const target of ['/v1/models/meta-llama/../../switchyard/status', '/v1/models/meta-llama/%2E%2E/x']) {
      const answer = await rawGet(front.url, target);
      expect([target, answer.status, JSON.parse(answer.body)]).toMatchObject([target, 404, { error: { code: 'unknown_route' } }]);
    }
  });
});
