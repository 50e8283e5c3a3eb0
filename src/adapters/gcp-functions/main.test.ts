import type { AddressInfo } from 'node:net';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';
import { STREAMED_CHAT, writeEntryConfig } from '../testing/entry-config.js';

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

describe('src/adapters/gcp-functions/main.ts (switchyard/gcp-functions/main)', () => {
  it('registers the function switchyard, which streams an answer built from the config SWITCHYARD_CONFIG names', async () => {
    vi.stubEnv('SWITCHYARD_CONFIG', config.path);
    await import('./main.js');
    const server = getTestServer('switchyard');
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: STREAMED_CHAT,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      const body = await res.text();
      expect(body).toContain('Hello');
      expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
