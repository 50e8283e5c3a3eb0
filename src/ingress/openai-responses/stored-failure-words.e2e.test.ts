import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../adapters/node/server.js';
import { createApp } from '../../app.js';
import { resolveConfig } from '../../config/load.js';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';

const UPSTREAM_WORDS = 'upstream words about its internals';

// `expose_upstream_errors` shows the upstream's text to the client that got the error, live; a stored
// failed response is read back by any request of the key for the store's whole retention.
describe('a failed Responses stream stored from a deployment that exposes upstream errors', () => {
  let sim: SimServer;
  let server: RunningServer;

  beforeAll(async () => {
    sim = await startOpenAISim({ apiKey: 'sk-test' });
    const config = resolveConfig(
      {
        deployments: [{ id: 'openai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1`, api_key: 'sk-test', expose_upstream_errors: true }],
        groups: [{ name: 'chat', deployments: ['openai'] }],
        api_keys: [{ id: 'one', key: 'key-one' }],
        ledger: { enabled: false },
        responses: { store: { enabled: true } },
      },
      {},
    );
    const app = await createApp(config);
    server = await startServer(app.gateway, { ...app.serverOptions, port: 0, onClose: () => app.close() });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await sim.close();
  });

  it("keeps the gateway's words only, while the live stream carried the upstream's", async () => {
    sim.faults.add({ stream_error_after_chunks: 3, error_message: UPSTREAM_WORDS, count: 1 });
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'key-one', maxRetries: 0 });
    const live = await fetch(`${server.url}/v1/responses`, { method: 'POST', headers: { authorization: 'Bearer key-one' }, body: JSON.stringify({ model: 'chat', input: 'one two three four five six', stream: true }) });
    const frames = (await live.text()).split('\n\n').filter((f) => f !== '');
    expect(frames.join('\n')).toContain(UPSTREAM_WORDS);
    const failed = JSON.parse((frames.at(-1) as string).split('\ndata: ')[1] as string) as { response: { id: string } };
    let stored: OpenAI.Responses.Response | undefined;
    for (let i = 0; i < 50 && stored === undefined; i++) {
      stored = await client.responses.retrieve(failed.response.id).catch(() => undefined);
      if (stored === undefined) await new Promise((r) => setTimeout(r, 20));
    }
    expect(stored?.status).toBe('failed');
    expect(stored?.error?.message).toBeTruthy();
    expect(JSON.stringify(stored)).not.toContain(UPSTREAM_WORDS);
  });
});
