import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import type { StreamPart } from '../core/types.js';
import { RELEASE_GRACE_MS } from '../providers/http.js';
import { userRequest } from '../testing/canonical.js';
import { createGateway, type Gateway } from './gateway.js';

/** What each upstream streams, whole (its own end marker included), before it holds the body open. */
const STREAMS = {
  openai: [
    '{"id":"c1","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"}}]}',
    '{"id":"c1","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}',
    '{"id":"c1","model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}',
    '[DONE]',
  ].map((data) => `data: ${data}\n\n`),
  anthropic: [
    ['message_start', '{"type":"message_start","message":{"id":"m1","model":"claude","usage":{"input_tokens":3,"output_tokens":0}}}'],
    ['content_block_start', '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}'],
    ['content_block_delta', '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}'],
    ['content_block_stop', '{"type":"content_block_stop","index":0}'],
    ['message_delta', '{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":1}}'],
    ['message_stop', '{"type":"message_stop"}'],
  ].map(([event, data]) => `event: ${event}\ndata: ${data}\n\n`),
};

/**
 * Upstreams that stream a whole answer, end marker and all, and then never end their body: the
 * client's stream must end at the marker, not at `stream_idle_timeout_ms`, and the upstream
 * connection must not be kept half-read.
 */
describe('an upstream that holds its body open after its stream ended', () => {
  const upstreams: Server[] = [];
  /** Per upstream: resolves when its socket closes. */
  const closed: Record<string, Promise<void>> = {};
  let gateway: Gateway;

  async function holdingUpstream(name: keyof typeof STREAMS): Promise<string> {
    let socketClosed!: () => void;
    closed[name] = new Promise<void>((r) => (socketClosed = r));
    const server = createServer((req, res) => {
      req.resume();
      res.socket?.once('close', socketClosed);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const frame of STREAMS[name]) res.write(frame);
      // ...and never res.end().
    });
    upstreams.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  }

  beforeAll(async () => {
    const config = resolveConfig(
      {
        // Far beyond the test's own timeout: a stream that waited for it would fail the test.
        routing: { stream_idle_timeout_ms: 60_000, max_attempts_per_deployment: 1 },
        deployments: [
          { id: 'openai', provider: 'openai-compatible', model: 'm', endpoint: await holdingUpstream('openai') },
          { id: 'anthropic', provider: 'anthropic', model: 'claude', endpoint: await holdingUpstream('anthropic'), api_key: 'sk-ant-test-000000' },
        ],
        groups: [
          { name: 'openai', deployments: ['openai'] },
          { name: 'anthropic', deployments: ['anthropic'] },
        ],
      },
      {},
    );
    gateway = createGateway(config);
  });

  afterAll(async () => {
    await gateway.close();
    for (const s of upstreams) s.closeAllConnections();
    await Promise.all(upstreams.map((s) => new Promise((r) => s.close(r))));
  });

  for (const name of Object.keys(STREAMS) as Array<keyof typeof STREAMS>) {
    it(`ends the client's ${name} stream at its end marker, complete, and closes the upstream connection`, async () => {
      const started = Date.now();
      const result = await gateway.stream(userRequest(name, 'hi'));
      const parts: StreamPart[] = [];
      for await (const p of result.parts) parts.push(p);
      expect(Date.now() - started).toBeLessThan(RELEASE_GRACE_MS);
      expect(parts.filter((p) => p.type === 'text').map((p) => (p as { delta: string }).delta).join('')).toBe('Hi');
      expect(parts).toContainEqual({ type: 'finish', finishReason: 'stop' });
      expect(parts.find((p) => p.type === 'usage')).toMatchObject({ usage: { prompt: 3, completion: 1 } });
      // The half-read connection is dropped once the grace for the body's own end has passed.
      await closed[name];
      expect(Date.now() - started).toBeGreaterThanOrEqual(RELEASE_GRACE_MS - 50);
    });
  }
});
