import { afterAll, describe, expect, it } from 'vitest';
import { createHttpHandler } from '../../http/handler.js';
import { DOT_DOT_MODEL, modelRouteGateway, SLASHED_MODEL } from '../testing/model-route.js';
import { createAzureHandler } from './handler.js';
import { asPlatformResponse, recordingContext, streamingRequest } from './testing/azure.js';

/*
 * The Functions host routes `{*path}` on the path it decoded (Azure/azure-functions-host#5619, #9290: a
 * `%2F` in a single-segment parameter is a 404 there; the catch-all takes it), and in streaming mode
 * forwards the request to the worker, whose `request.url` the library builds with `new Request`: dot
 * segments resolved, `%2F` kept as sent. The route gets the id whole whether the host keeps the
 * `%2F` or hands a `/`.
 */
describe('path parameters holding an encoded slash, through the Azure Functions adapter', () => {
  const gateway = modelRouteGateway();
  const azure = createAzureHandler(createHttpHandler(gateway));
  const get = async (path: string) => asPlatformResponse(await azure(streamingRequest(`https://gw.azurewebsites.net${path}`, 'GET', {}, null), recordingContext().context));

  afterAll(async () => {
    await gateway.close();
  });

  it('hands a {model+} route the id whole, its / kept encoded by the host or not', async () => {
    for (const path of [`/v1/models/${encodeURIComponent(SLASHED_MODEL)}`, `/v1/models/${SLASHED_MODEL}`]) {
      const response = await get(path);
      expect([path, response.status, await response.json()]).toMatchObject([path, 200, { id: SLASHED_MODEL, object: 'model' }]);
    }
  });

  it('answers an id with .. parts 404: no route takes it, none other is reached', async () => {
    const response = await get(`/v1/models/${encodeURIComponent(DOT_DOT_MODEL)}`);
    expect([response.status, await response.json()]).toMatchObject([404, { error: { code: 'unknown_route' } }]);
  });
});
