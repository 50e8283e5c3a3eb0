import type { AddressInfo } from 'node:net';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { STREAMED_CHAT } from '../../testing/entry-config.js';

/**
 * POSTs STREAMED_CHAT to /v1/chat/completions of the function `name` registered with
 * functions-framework (by a `main` module the caller imported), through functions-framework's own test
 * server. Returns the status, content type and whole body.
 */
export async function postToRegisteredFunction(name = 'switchyard'): Promise<{ status: number; contentType: string | null; body: string }> {
  const server = getTestServer(name);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: STREAMED_CHAT,
    });
    return { status: res.status, contentType: res.headers.get('content-type'), body: await res.text() };
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
