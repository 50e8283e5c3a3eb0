import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';
import { writeEntryConfig } from '../testing/entry-config.js';
import { postToRegisteredFunction } from './testing/post-to-function.js';

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
    const res = await postToRegisteredFunction('switchyard');
    expect(res.status).toBe(200);
    expect(res.contentType).toBe('text/event-stream; charset=utf-8');
    expect(res.body).toContain('Hello');
    expect(res.body.endsWith('data: [DONE]\n\n')).toBe(true);
  });
});
