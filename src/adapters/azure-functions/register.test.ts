import { HttpRequest, type HttpFunctionOptions } from '@azure/functions';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { recordingContext } from './testing/azure.js';

const calls = vi.hoisted(() => ({ setup: [] as unknown[], http: [] as Array<[string, unknown]> }));
vi.mock('@azure/functions', async (original) => ({
  ...(await original<typeof import('@azure/functions')>()),
  app: { setup: (options: unknown) => calls.setup.push(options), http: (name: string, options: unknown) => calls.http.push([name, options]) },
}));

const { registerAzureFunction } = await import('./register.js');

beforeEach(() => {
  calls.setup.length = 0;
  calls.http.length = 0;
});

describe('registerAzureFunction', () => {
  it('turns on HTTP streaming and registers an anonymous catch-all HTTP function', () => {
    registerAzureFunction('switchyard', async () => ({ status: 204, headers: {}, body: '' }));
    expect(calls.setup).toEqual([{ enableHttpStream: true }]);
    const [[name, options]] = calls.http as [[string, HttpFunctionOptions]];
    expect(name).toBe('switchyard');
    expect(options).toMatchObject({ authLevel: 'anonymous', route: '{*path}' });
    expect(options.methods).toEqual(expect.arrayContaining(['GET', 'POST', 'DELETE', 'OPTIONS']));
  });

  it('registers a function that runs the handler with the options given', async () => {
    let settled = 0;
    registerAzureFunction('switchyard', async (request) => ({ status: 200, headers: {}, body: request.path }), { routePrefix: 'api', onSettled: async () => void settled++ });
    const [[, options]] = calls.http as [[string, HttpFunctionOptions]];
    const init = await options.handler(new HttpRequest({ url: 'https://gw/api/v1/models', method: 'GET' }), recordingContext().context);
    expect(init).toMatchObject({ status: 200, body: '/v1/models' });
    expect(settled).toBe(1);
  });
});
