import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { createGateway } from '../../gateway/gateway.js';
import { startServer } from './server.js';

/** Sends one keep-alive GET on `socket` and resolves with the raw response head. */
function get(socket: Socket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(text);
      if (end !== -1 && length && text.length >= end + 4 + Number(length[1])) done(() => resolve(text.slice(0, end)));
    };
    const onEnd = (): void => done(() => reject(new Error(`connection closed without an answer (${JSON.stringify(text)})`)));
    const done = (then: () => void): void => {
      socket.off('data', onData);
      socket.off('close', onEnd);
      socket.off('error', onEnd);
      then();
    };
    socket.on('data', onData);
    socket.once('close', onEnd);
    socket.once('error', onEnd);
    socket.write(`GET ${path} HTTP/1.1\r\nhost: gateway\r\nconnection: keep-alive\r\n\r\n`);
  });
}

describe('shutdown drain', () => {
  it('answers a request arriving on an open keep-alive connection with connection: close instead of resetting it', async () => {
    const parsed = parseConfig({ deployments: [{ id: 'd', provider: 'openai-compatible', model: 'm', endpoint: 'http://127.0.0.1:9/v1' }] }, {});
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const server = await startServer(createGateway(parsed.config), { port: 0, host: '127.0.0.1' });
    const socket = connect(server.port, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    expect(await get(socket, '/healthz')).toMatch(/^HTTP\/1\.1 200/);

    // The connection is idle and kept alive when the drain starts; the client's next request is on its way.
    const stopping = server.shutdown(2_000);
    const head = await get(socket, '/healthz');
    expect(head).toMatch(/^HTTP\/1\.1 200/);
    expect(head).toMatch(/\r\nconnection: close/i);
    await stopping;
    socket.destroy();
  });
});
