import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { createGateway } from '../../gateway/gateway.js';
import { keepAliveGet as get } from '../testing/keep-alive-get.js';
import { startServer } from './server.js';


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
