import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { silentLogger } from '../core/logger.js';
import { createGateway, type Gateway } from '../gateway/gateway.js';
import type { HttpHandler } from '../http/exchange.js';
import { answerText } from '../http/testing/answer-text.js';
import { createHttpHandler } from '../http/handler.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';
import type { FaultRule } from '../sim/faults.js';

/*
 * A failure named the provider type ("Upstream openai-compatible connection failed") where an error reply
 * named the deployment ("Upstream primary-oa (openai-compatible) failed with a server error"): an operator
 * with three OpenAI-compatible deployments could not tell which one broke. Every failure of an attempt,
 * before the answer or mid-stream, names the deployment, and none quotes the upstream.
 */

const WHO = 'Upstream primary-oa (openai-compatible)';
/** What the simulator's in-stream error says, which the client must never read. */
const UPSTREAM_WORDS = 'backend 10.0.0.7 exploded';

/** Every `message` in an answer: a JSON error body's, or each SSE frame's. */
function messagesIn(text: string): string[] {
  const frames = text.startsWith('{') ? [text] : text.split('\n').filter((l) => l.startsWith('data: {')).map((l) => l.slice(6));
  return frames.map((f) => (JSON.parse(f) as { error?: { message?: string } }).error?.message).filter((m): m is string => m !== undefined);
}

describe('an attempt that fails names its deployment, whole or streamed, before the answer or mid-stream', () => {
  let sim: SimServer;
  let gateway: Gateway;
  let handle: HttpHandler;

  beforeAll(async () => {
    sim = await startOpenAISim({ name: 'primary' });
    const parsed = parseConfig(
      {
        routing: { max_attempts_per_deployment: 1, allow_direct_deployments: true },
        deployments: [{ id: 'primary-oa', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1` }],
      },
      {},
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    gateway = createGateway(parsed.config, { logger: silentLogger });
    handle = createHttpHandler(gateway, { logger: silentLogger });
  });

  afterAll(async () => {
    await gateway.close();
    await sim.close();
  });

  async function failWith(fault: FaultRule, stream: boolean): Promise<string[]> {
    sim.faults.add({ ...fault, count: 1 });
    const body = Buffer.from(JSON.stringify({ model: 'primary-oa', stream, messages: [{ role: 'user', content: 'hi there' }] }));
    const answer = await handle({ method: 'POST', path: '/v1/chat/completions', query: '', headers: { 'content-type': 'application/json' }, body, signal: new AbortController().signal });
    return messagesIn(await answerText(answer));
  }

  const cases: Array<[string, FaultRule, boolean, RegExp]> = [
    ['a connection reset before the answer, whole', { reset: true }, false, / connection failed \((SOCKET_CLOSED|ECONNRESET)\)\.$/],
    ['a connection reset before the answer, streamed', { reset: true }, true, / connection failed \((SOCKET_CLOSED|ECONNRESET)\)\.$/],
    ['a connection cut mid-stream', { cut_after_chunks: 2, inter_chunk_ms: 5 }, true, /'s stream ended before it finished: the upstream (closed|reset) the connection after \d+ bytes of its body\.$/],
    ['an error reply before the answer', { status: 500, error_message: UPSTREAM_WORDS }, true, / failed with a server error \(HTTP 500\)\.$/],
    ['an error event mid-stream', { stream_error_after_chunks: 1, error_message: UPSTREAM_WORDS }, true, / failed with a server error mid-stream\.$/],
  ];

  for (const [what, fault, stream, how] of cases) {
    it(`${what}: "${WHO} …", nothing of the upstream's words`, async () => {
      const messages = await failWith(fault, stream);
      expect(messages.length).toBeGreaterThan(0);
      for (const message of messages) {
        expect(message.startsWith(`${WHO} `) || message.startsWith(`${WHO}'s `), message).toBe(true);
        expect(message).toMatch(how);
        expect(message).not.toContain(UPSTREAM_WORDS);
      }
    });
  }
});
