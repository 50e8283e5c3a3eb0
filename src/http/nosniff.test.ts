import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startServer, type RunningServer } from '../adapters/node/server.js';
import { parseConfig } from '../config/load.js';
import { GatewayError } from '../core/errors.js';
import { createGateway } from '../gateway/gateway.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';
import { defaultErrorResponse, unconfiguredErrorResponse } from './handler.js';
import { metricsRoute } from './metrics-route.js';
import { statusRoute } from './status-route.js';

const CHAT = { model: 'chat', messages: [{ role: 'user', content: 'Hi' }] };
const MESSAGES = { model: 'chat', max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] };

/** The head of the answer to raw bytes, read until the server closes the connection. */
function rawHead(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(text.slice(0, text.indexOf('\r\n\r\n'))));
  });
}

describe('x-content-type-options: nosniff on every answer with a body the gateway writes', () => {
  let sim: SimServer;
  let server: RunningServer;

  beforeAll(async () => {
    sim = await startOpenAISim();
    const parsed = parseConfig(
      {
        deployments: [{ id: 'sim', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1` }],
        groups: [{ name: 'chat', deployments: ['sim'] }],
        api_keys: [{ id: 'admin', key: 'sk-admin-key', role: 'admin' }],
      },
      {},
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const metrics = metricsRoute({ render: async () => 'up 1\n', contentType: 'text/plain; version=0.0.4' }, true);
    server = await startServer(createGateway(parsed.config), { port: 0, routes: [statusRoute, metrics] });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await sim.close();
  });

  async function answer(method: string, path: string, body: unknown, key: string | undefined): Promise<{ status: number; nosniff: unknown }> {
    const res = await request(`${server.url}${path}`, {
      method,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) },
    });
    await res.body.dump();
    return { status: res.statusCode, nosniff: res.headers['x-content-type-options'] };
  }

  it('on answers, streams, errors, 404s, 405s, feature routes and health checks', async () => {
    const cases: Array<[string, string, string, unknown, string | undefined, number]> = [
      ['chat answer', 'POST', '/v1/chat/completions', CHAT, 'sk-admin-key', 200],
      ['chat stream', 'POST', '/v1/chat/completions', { ...CHAT, stream: true }, 'sk-admin-key', 200],
      ['messages stream', 'POST', '/v1/messages', { ...MESSAGES, stream: true }, 'sk-admin-key', 200],
      ['bad body', 'POST', '/v1/chat/completions', '{"model":', 'sk-admin-key', 400],
      ['no key', 'POST', '/v1/messages', MESSAGES, undefined, 401],
      ['unknown route', 'GET', '/v1/nothing-here', undefined, 'sk-admin-key', 404],
      ['wrong method', 'GET', '/v1/chat/completions', undefined, 'sk-admin-key', 405],
      ['status route', 'GET', '/v1/switchyard/status', undefined, 'sk-admin-key', 200],
      ['metrics route', 'GET', '/metrics', undefined, undefined, 200],
      ['health check', 'GET', '/healthz', undefined, undefined, 200],
    ];
    for (const [name, method, path, body, key, status] of cases) {
      expect(await answer(method, path, body, key), name).toEqual({ status, nosniff: 'nosniff' });
    }
  });

  it("on the node adapter's answer to a request its HTTP parser refused", async () => {
    const head = await rawHead(server.port, 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\n{}');
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(head).toMatch(/\r\nx-content-type-options: nosniff\r\n/);
  });

  it("on the errors runtimes answer outside the handler (a serverless build that failed, an adapter's own 500)", () => {
    const error = new GatewayError({ kind: 'internal', message: 'Internal gateway error.' });
    for (const built of [defaultErrorResponse(error, '/v1/messages'), defaultErrorResponse(error), unconfiguredErrorResponse(error, '/prod/v1/messages')]) {
      expect(built.headers['x-content-type-options']).toBe('nosniff');
    }
  });
});
