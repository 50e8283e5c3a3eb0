import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Canceller } from '../../core/cancel.js';
import { NodeRequest } from './request.js';

describe('NodeRequest', () => {
  const seen: Array<{ httpVersion: string | undefined; scheme: string | undefined; path: string; query: string }> = [];
  let server: Server;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const request = new NodeRequest(req, new Canceller().signal);
      seen.push({ httpVersion: request.httpVersion, scheme: request.scheme, path: request.path, query: request.query });
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Sends a raw request line, so the test chooses the HTTP version, and waits for the answer's end. */
  async function send(requestLine: string): Promise<void> {
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.end(`${requestLine}\r\nHost: gw.test\r\nConnection: close\r\n\r\n`));
      socket.on('data', () => undefined);
      socket.on('end', resolve);
      socket.on('error', reject);
    });
  }

  it('reports the HTTP version of the request line, as the server span needs it, with the path and query apart', async () => {
    seen.length = 0;
    await send('GET /v1/models?x=1 HTTP/1.1');
    await send('GET /v1/models HTTP/1.0');
    expect(seen).toEqual([
      { httpVersion: '1.1', scheme: 'http', path: '/v1/models', query: 'x=1' },
      { httpVersion: '1.0', scheme: 'http', path: '/v1/models', query: '' },
    ]);
  });
});
