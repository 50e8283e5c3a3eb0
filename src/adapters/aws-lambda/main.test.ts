import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';
import { writeEntryConfig } from '../testing/entry-config.js';
import { streamFromLambdaMain } from './testing/invoke-main.js';

let sim: SimServer;
let config: ReturnType<typeof writeEntryConfig>;
beforeAll(async () => {
  sim = await startOpenAISim();
  config = writeEntryConfig(sim.url);
});
afterAll(async () => {
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
  config.remove();
  await sim.close();
});

describe('src/adapters/aws-lambda/main.ts (the SAM template handler)', () => {
  it('streams an answer built from the config SWITCHYARD_CONFIG names', async () => {
    vi.stubEnv('SWITCHYARD_CONFIG', config.path);
    // The runtime installs the global before it loads the handler's module.
    const { prelude, body } = await streamFromLambdaMain(() => import('./main.js'), vi.stubGlobal);
    expect(prelude).toMatchObject({ statusCode: 200, headers: { 'content-type': 'text/event-stream' } });
    expect(body).toContain('Hello');
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
  });
});
