import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';
import { STREAMED_CHAT, writeEntryConfig } from '../testing/entry-config.js';
import type { LambdaHttpEvent } from './request.js';
import type { ResponseStream } from './runtime.js';
import { RecordingResponseStream, fakeAwslambda, fakeContext } from './testing/fake-runtime.js';
import { fixture } from './testing/fixtures.js';

type Invoke = (event: LambdaHttpEvent, stream: ResponseStream, context: Context) => Promise<void>;

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
    // The runtime installs the global before it loads the handler's module.
    vi.stubGlobal('awslambda', fakeAwslambda);
    vi.stubEnv('SWITCHYARD_CONFIG', config.path);
    const { handler } = (await import('./main.js')) as unknown as { handler: Invoke };
    const stream = new RecordingResponseStream();
    await handler({ ...fixture('function-url'), body: STREAMED_CHAT }, stream as unknown as ResponseStream, fakeContext());
    const { prelude, body } = stream.decode();
    expect(prelude).toMatchObject({ statusCode: 200, headers: { 'content-type': 'text/event-stream' } });
    expect(body).toContain('Hello');
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
  });
});
