import { getTestServer } from '@google-cloud/functions-framework/testing';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpHandler } from '../../http/handler.js';
import { DOT_DOT_MODEL, modelRouteGateway, SLASHED_MODEL } from '../testing/model-route.js';
import { listenFront } from '../testing/listen.js';
import { registerGcpFunction } from './index.js';

// functions-framework's Express app hands the function `req.url` as the client sent it (`req.path` too:
// neither is decoded), and Google's front end passes the path on as sent.
describe('path parameters holding an encoded slash, on functions-framework', () => {
  let front: Awaited<ReturnType<typeof listenFront>>;

  beforeAll(async () => {
    const gateway = modelRouteGateway();
    registerGcpFunction('switchyard-path-params', createHttpHandler(gateway));
    front = await listenFront(getTestServer('switchyard-path-params'), gateway);
  });

  afterAll(async () => {
    await front.close();
  });

  it("hands a {model+} route the id the openai SDK's models.retrieve sent, / included", async () => {
    const client = new OpenAI({ baseURL: `${front.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
    expect(await client.models.retrieve(SLASHED_MODEL)).toMatchObject({ id: SLASHED_MODEL, object: 'model' });
  });

  it('answers an id with .. parts 404: no route takes it, none other is reached', async () => {
    const client = new OpenAI({ baseURL: `${front.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
    const failure = await client.models.retrieve(DOT_DOT_MODEL).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OpenAI.NotFoundError);
    expect((failure as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('unknown_route');
  });
});
