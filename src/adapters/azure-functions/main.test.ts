import { HttpRequest, HttpResponse, type HttpFunctionOptions } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';
import { STREAMED_CHAT, writeEntryConfig } from '../testing/entry-config.js';
import { recordingContext } from './testing/azure.js';

const calls = vi.hoisted(() => ({ setup: [] as unknown[], http: [] as Array<[string, HttpFunctionOptions]> }));
vi.mock('@azure/functions', async (original) => ({
  ...(await original<typeof import('@azure/functions')>()),
  app: { setup: (options: unknown) => calls.setup.push(options), http: (name: string, options: HttpFunctionOptions) => calls.http.push([name, options]) },
}));

let sim: SimServer;
let config: ReturnType<typeof writeEntryConfig>;
beforeAll(async () => {
  sim = await startOpenAISim();
  config = writeEntryConfig(sim.url);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  config.remove();
  await sim.close();
});

describe('src/adapters/azure-functions/main.ts (the Functions app main)', () => {
  it('registers the streaming function switchyard, which answers from the config SWITCHYARD_CONFIG names', async () => {
    vi.stubEnv('SWITCHYARD_CONFIG', config.path);
    await import('./main.js');
    expect(calls.setup).toEqual([{ enableHttpStream: true }]);
    const [[name, options]] = calls.http as [[string, HttpFunctionOptions]];
    expect(name).toBe('switchyard');
    const request = new HttpRequest({ url: 'https://gw.example/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body: { string: STREAMED_CHAT } });
    const answer = new HttpResponse(await options.handler(request, recordingContext().context));
    expect(answer.status).toBe(200);
    const body = await answer.text();
    expect(body).toContain('Hello');
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
  });
});
