import type { Context } from 'aws-lambda';
import { STREAMED_CHAT } from '../../testing/entry-config.js';
import type { LambdaHttpEvent } from '../request.js';
import type { ResponseStream } from '../runtime.js';
import { RecordingResponseStream, fakeAwslambda, fakeContext } from './fake-runtime.js';
import { fixture } from './fixtures.js';

type Invoke = (event: LambdaHttpEvent, stream: ResponseStream, context: Context) => Promise<void>;

/**
 * Loads a streaming Lambda `main` module (the source or a bundle) as the runtime would, with its
 * `awslambda` global installed first, and invokes its handler once with a Function URL event carrying
 * STREAMED_CHAT. Returns the prelude and body the runtime would send. Callers stub SWITCHYARD_CONFIG
 * and unstub the global afterwards.
 */
export async function streamFromLambdaMain(load: () => Promise<unknown>, stubGlobal: (name: string, value: unknown) => void): Promise<{ prelude: unknown; body: string }> {
  stubGlobal('awslambda', fakeAwslambda);
  const { handler } = (await load()) as { handler: Invoke };
  const stream = new RecordingResponseStream();
  await handler({ ...fixture('function-url'), body: STREAMED_CHAT }, stream as unknown as ResponseStream, fakeContext());
  return stream.decode();
}
