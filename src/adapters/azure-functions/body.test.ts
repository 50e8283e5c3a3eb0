import { afterEach, describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import type { HttpHandler } from '../../http/exchange.js';
import { createAzureHandler } from './handler.js';
import { recordingContext, slowBody, streamingRequest } from './testing/azure.js';

/** Reads the body under `limit` bytes and 5 s; reports what the reader gave or threw. */
function reading(limit: number): { handler: HttpHandler; outcome: Promise<string | GatewayError> } {
  let settle: (value: string | GatewayError) => void = () => {};
  const outcome = new Promise<string | GatewayError>((r) => (settle = r));
  const handler: HttpHandler = async (request) => {
    if (typeof request.body !== 'function') throw new Error('expected a body reader');
    try {
      settle(Buffer.from(await request.body(limit, 5_000)).toString('utf8'));
    } catch (error) {
      settle(error as GatewayError);
    }
    return { status: 200, headers: {}, body: '' };
  };
  return { handler, outcome };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('the request body of an Azure HTTP trigger', () => {
  it('is read whole from the live stream when it fits the limit', async () => {
    const { handler, outcome } = reading(64);
    const { body, end } = slowBody(['{"model":', '"m"}']);
    end();
    await createAzureHandler(handler)(streamingRequest('https://gw/v1/chat/completions', 'POST', {}, body), recordingContext().context);
    expect(await outcome).toBe('{"model":"m"}');
  });

  it('is refused with 413 on a content-length over the limit, before any byte is read', async () => {
    const { handler, outcome } = reading(8);
    const { body } = slowBody(['{"']);
    await createAzureHandler(handler)(streamingRequest('https://gw/v1/chat/completions', 'POST', { 'content-length': '20' }, body), recordingContext().context);
    expect(await outcome).toMatchObject({ status: 413, code: 'request_too_large' });
  });

  it('is refused with 413 once the bytes sent pass the limit, without waiting for the rest', async () => {
    const { handler, outcome } = reading(8);
    const { body } = slowBody(['{"model":', '"m"}']);
    await createAzureHandler(handler)(streamingRequest('https://gw/v1/chat/completions', 'POST', {}, body), recordingContext().context);
    expect(await outcome).toMatchObject({ status: 413, code: 'request_too_large' });
  });

  it('is refused with 408 when the client does not finish sending it in time', async () => {
    vi.useFakeTimers();
    const { handler, outcome } = reading(64);
    const { body } = slowBody(['{"model":']);
    void createAzureHandler(handler)(streamingRequest('https://gw/v1/chat/completions', 'POST', {}, body), recordingContext().context);
    await vi.advanceTimersByTimeAsync(4_999);
    let done = false;
    void outcome.then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await outcome).toMatchObject({ status: 408, code: 'request_timeout' });
  });
});
