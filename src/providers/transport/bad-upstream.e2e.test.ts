import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../adapters/node/server.js';
import { resolveConfig } from '../../config/load.js';
import { createGateway } from '../../gateway/gateway.js';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';

const LEAK = 'sk-upstream-internal-PLANTED-0123456789';

/** Replies an upstream might send that no HTTP/1.1 client may trust, each with text a client must never see. */
const BROKEN: Record<string, string> = {
  'not HTTP at all': `SSH-2.0-OpenSSH_9.6 ${LEAK}\r\n\r\n`,
  'two different lengths': `HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 60\r\n\r\n{"leak":"${LEAK}"}`,
  'a header smuggling a CR': `HTTP/1.1 200 OK\r\nX-Note: a\rContent-Length: 0\r\nContent-Length: 2\r\n\r\nok`,
  'a malformed chunk': `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz ${LEAK}\r\n`,
  'a body cut short': `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"leak":"${LEAK}"`,
};

/** A TCP upstream answering every request with `reply`, then closing. */
async function brokenUpstream(reply: string): Promise<{ server: Server; url: string }> {
  const server = createServer((socket: Socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => socket.end(reply));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` };
}

describe('an upstream that breaks HTTP/1.1 framing, through the real server and the openai SDK', () => {
  const upstreams: Server[] = [];
  let healthy: SimServer;
  let server: RunningServer;
  let client: OpenAI;

  beforeAll(async () => {
    healthy = await startOpenAISim({ name: 'healthy' });
    const deployments: Array<{ id: string; provider: string; model: string; endpoint: string }> = [];
    for (const [i, reply] of Object.values(BROKEN).entries()) {
      const up = await brokenUpstream(reply);
      upstreams.push(up.server);
      deployments.push({ id: `broken-${i}`, provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: up.url });
    }
    deployments.push({ id: 'healthy', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${healthy.url}/v1` });
    const config = resolveConfig(
      {
        routing: { max_attempts_per_deployment: 1, backoff: { base_ms: 1, cap_ms: 2 } },
        deployments,
        groups: [
          ...deployments.slice(0, -1).map((d) => ({ name: d.id, deployments: [d.id] })),
          { name: 'with-fallback', strategy: 'priority', deployments: ['broken-0', 'broken-1', 'healthy'] },
        ],
      },
      {},
    );
    server = await startServer(createGateway(config), { port: 0 });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await healthy.close();
    await Promise.all(upstreams.map((s) => new Promise((r) => s.close(r))));
  });

  for (const [i, name] of Object.keys(BROKEN).entries()) {
    it(`answers ${name} with a 502 in OpenAI's error shape, quoting none of the upstream's bytes`, async () => {
      const failure = await client.chat.completions.create({ model: `broken-${i}`, messages: [{ role: 'user', content: 'hi' }] }).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(OpenAI.APIError);
      const error = failure as InstanceType<typeof OpenAI.APIError>;
      expect(error.status).toBe(502);
      expect(error.error).toMatchObject({ type: expect.any(String), message: expect.any(String) });
      expect(JSON.stringify(error.error)).not.toContain('PLANTED');
    });
  }

  it('falls back past broken upstreams to a healthy one', async () => {
    const answer = await client.chat.completions.create({ model: 'with-fallback', messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.choices[0]?.message.content).toEqual(expect.any(String));
  });
});
