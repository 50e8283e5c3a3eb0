import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../app.js';
import { startServer, type RunningServer } from '../../adapters/node/server.js';
import { resolveConfig } from '../../config/load.js';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';
import { createSimServiceAccount } from '../../sim/vertex/credentials.js';
import { startVertexSim } from '../../sim/vertex/index.js';

const KEY = 'sk-switchyard';
const PROJECT = 'ctx-project';
/** Small enough that a paragraph overflows it (the simulator counts about four characters a token). */
const WINDOW = 50;

/**
 * Vertex refuses a prompt past Gemini's input limit in its own words ("the input token count is N but
 * model only supports up to M"), not the Gemini API's: the gateway still knows it for a context-window
 * refusal and hands the request to the group's `fallbacks.context_window_exceeded`.
 */
describe('a Vertex context-window refusal, through the real server', () => {
  const account = createSimServiceAccount(PROJECT);
  let vertex: SimServer;
  let long: SimServer;
  let app: App;
  let server: RunningServer;

  beforeAll(async () => {
    [vertex, long] = await Promise.all([
      startVertexSim({ publicKey: account.publicKey, project: PROJECT, contextWindow: WINDOW }),
      startOpenAISim({ apiKey: 'sk-long', name: 'long' }),
    ]);
    const config = resolveConfig(
      {
        api_keys: [{ id: 'k', key: KEY }],
        deployments: [
          { id: 'gemini', provider: 'vertex', model: 'gemini-2.5-flash', project: PROJECT, region: 'europe-west4', endpoint: vertex.url, credentials_file: '${SA}', self_signed_jwt: true },
          { id: 'long', provider: 'openai-compatible', model: 'gpt-4.1', endpoint: `${long.url}/v1`, api_key: 'sk-long' },
        ],
        groups: [{ name: 'gemini', deployments: ['gemini'], fallbacks: { context_window_exceeded: ['long'] } }],
        ledger: { enabled: false },
      },
      { SA: account.json },
    );
    app = await createApp(config);
    server = await startServer(app.gateway, { ...app.handlerOptions, port: 0 });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await app.close();
    await Promise.all([vertex.close(), long.close()]);
  });

  async function ask(content: string): Promise<{ status: number; servedBy: string | null }> {
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ model: 'gemini', messages: [{ role: 'user', content }], max_tokens: 16 }),
    });
    await res.arrayBuffer();
    return { status: res.status, servedBy: res.headers.get('x-switchyard-deployment') };
  }

  it('answers a prompt within the window from Vertex', async () => {
    expect(await ask('hi')).toEqual({ status: 200, servedBy: 'gemini' });
  });

  it("hands a prompt past the window to the group's context-window fallback", async () => {
    const before = long.stats.total;
    expect(await ask('a clause of the contract '.repeat(20))).toEqual({ status: 200, servedBy: 'long' });
    expect(long.stats.total - before).toBe(1);
  });
});
