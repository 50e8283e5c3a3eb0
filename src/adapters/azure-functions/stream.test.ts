import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import type { HttpHandler } from '../../http/exchange.js';
import { createAzureHandler } from './handler.js';
import { asPlatformResponse, recordingContext } from './testing/azure.js';

const FRAMES = ['data: {"id":"c1","choices":[{"delta":{"role":"assistant"}}]}\n\n', 'data: {"id":"c1","choices":[{"delta":{"content":"Hé"}}]}\n\n', 'data: [DONE]\n\n'];
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

/** An SSE handler that counts the chunks asked of it and notices abort and return(). */
function sseHandler() {
  const state = { pulled: 0, returned: false, abortReason: undefined as unknown };
  const handler: HttpHandler = async (request) => {
    request.signal.addEventListener('abort', () => (state.abortReason = request.signal.reason));
    async function* frames(): AsyncGenerator<string> {
      try {
        for (const frame of FRAMES) {
          state.pulled++;
          yield frame;
        }
      } finally {
        state.returned = true;
      }
    }
    return { status: 200, headers: SSE_HEADERS, body: frames() };
  };
  return { handler, state };
}

const streamRequest = () => new HttpRequest({ url: 'https://gw/v1/chat/completions', method: 'POST', body: { string: '{"stream":true}' } });

describe('createAzureHandler with a streamed answer', () => {
  it('sends the SSE frames in order as a web stream, with the handler’s status and headers', async () => {
    const { handler } = sseHandler();
    const response = asPlatformResponse(await createAzureHandler(handler)(streamRequest(), recordingContext().context));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    const decoder = new TextDecoder();
    const received: string[] = [];
    for await (const chunk of response.body ?? []) received.push(decoder.decode(chunk as Uint8Array));
    expect(received).toEqual(FRAMES);
  });

  it('asks the handler for a chunk only when the platform reads one (backpressure)', async () => {
    const { handler, state } = sseHandler();
    const response = asPlatformResponse(await createAzureHandler(handler)(streamRequest(), recordingContext().context));
    await new Promise((r) => setTimeout(r, 10));
    expect(state.pulled).toBe(0);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await new Promise((r) => setTimeout(r, 10));
    expect(state.pulled).toBe(1);
  });

  it('returns the handler’s stream, aborts the request and settles once when the platform cancels the body', async () => {
    const { handler, state } = sseHandler();
    let settled = 0;
    const init = await createAzureHandler(handler, { onSettled: async () => void settled++ })(streamRequest(), recordingContext().context);
    const reader = (asPlatformResponse(init).body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    expect(settled).toBe(0);
    await reader.cancel();
    expect(state.returned).toBe(true);
    expect(state.abortReason).toMatchObject({ kind: 'cancelled' });
    expect(settled).toBe(1);
  });

  it('settles after the last chunk and before the stream ends, while the platform still awaits the body', async () => {
    const { handler } = sseHandler();
    let release = (): void => {};
    let settling = false;
    const onSettled = () => {
      settling = true;
      return new Promise<void>((r) => (release = r));
    };
    const init = await createAzureHandler(handler, { onSettled })(streamRequest(), recordingContext().context);
    const reader = (asPlatformResponse(init).body as ReadableStream<Uint8Array>).getReader();
    for (let i = 0; i < FRAMES.length; i++) await reader.read();
    let ended = false;
    const last = reader.read().then((r) => (ended = r.done));
    await new Promise((r) => setTimeout(r, 10));
    expect(settling).toBe(true);
    expect(ended).toBe(false);
    release();
    await last;
    expect(ended).toBe(true);
  });

  it('errors the platform’s stream, after settling, when the handler’s stream throws', async () => {
    let settled = 0;
    const handler: HttpHandler = async () => ({
      status: 200,
      headers: SSE_HEADERS,
      body: (async function* () {
        yield FRAMES[0] as string;
        throw new Error('upstream socket reset');
      })(),
    });
    const init = await createAzureHandler(handler, { onSettled: async () => void settled++ })(streamRequest(), recordingContext().context);
    const reader = (asPlatformResponse(init).body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await expect(reader.read()).rejects.toThrow('upstream socket reset');
    expect(settled).toBe(1);
  });
});
