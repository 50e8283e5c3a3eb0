import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import type { AttemptRecord } from '../core/events.js';
import type { ChatRequest, StreamPart } from '../core/types.js';
import { startAnthropicSim, type AnthropicSimServer } from '../sim/anthropic/index.js';
import { createSimServiceAccount } from '../sim/vertex/credentials.js';
import { userText } from '../testing/canonical.js';
import { createGateway, type Gateway } from './gateway.js';

const PROJECT = 'cut-usage';

/** Gemini's running counts on each chunk (the Gemini API's shape): 1,000 of the prompt read from the cache, 250 thought tokens not streamed. */
const counts = (candidates: number): Record<string, unknown> => ({ promptTokenCount: 1_200, cachedContentTokenCount: 1_000, candidatesTokenCount: candidates, thoughtsTokenCount: 250, totalTokenCount: 1_450 + candidates });
const GEMINI_CHUNKS = [
  { candidates: [{ content: { role: 'model', parts: [{ text: 'Hello' }] } }], usageMetadata: counts(1), modelVersion: 'gemini-2.5-flash', responseId: 'r1' },
  { candidates: [{ content: { role: 'model', parts: [{ text: ' there' }] } }], usageMetadata: counts(2), modelVersion: 'gemini-2.5-flash', responseId: 'r1' },
].map((c) => `data: ${JSON.stringify(c)}\r\n\r\n`);

/** A Gemini upstream that streams two chunks, then cuts the connection or (`hold`) waits for the client to leave. */
async function geminiUpstream(mode: { hold: boolean }): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res: ServerResponse) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const c of GEMINI_CHUNKS) res.write(c);
    if (!mode.hold) setImmediate(() => res.socket?.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/**
 * A stream that breaks, or that its client leaves, before its final usage is billed what its upstream
 * had already counted: Claude's message_start gives the prompt with its cached reads, Gemini its counts
 * so far. The attempt record (the ledger's row, the budget's charge) and what the error says was billed
 * (the door's cost trailer) agree, marked estimated since the completion is still the gateway's count.
 */
describe('the usage billed for a stream cut before its end', () => {
  let anthropic: AnthropicSimServer;
  const gemini = { hold: false };
  let geminiServer: Server;
  let gateway: Gateway;
  const records: AttemptRecord[] = [];
  // A system prompt long enough for Claude's cache, marked for it.
  const cached: ChatRequest = {
    model: 'claude',
    maxOutputTokens: 50,
    messages: [{ role: 'system', content: [{ type: 'text', text: 'Policy clause. '.repeat(4_000), cacheControl: { type: 'ephemeral' } }] }, userText('hi')],
  };

  beforeAll(async () => {
    anthropic = await startAnthropicSim({ apiKey: 'sk-ant' });
    const upstream = await geminiUpstream(gemini);
    geminiServer = upstream.server;
    const account = createSimServiceAccount(PROJECT);
    const parsed = parseConfig(
      {
        routing: { max_attempts_per_deployment: 1 },
        deployments: [
          { id: 'claude', provider: 'anthropic', model: 'claude-sonnet-4-6', endpoint: anthropic.url, api_key: 'sk-ant' },
          { id: 'gemini', provider: 'vertex', model: 'gemini-2.5-flash', project: PROJECT, region: 'europe-west4', endpoint: upstream.url, credentials_file: '${VERTEX_SA}', self_signed_jwt: true },
        ],
        groups: [
          { name: 'claude', deployments: ['claude'] },
          { name: 'gemini', deployments: ['gemini'] },
        ],
      },
      { VERTEX_SA: account.json },
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    gateway = createGateway(parsed.config, { observers: [{ onAttempt: (r) => records.push(r) }] });
  });

  afterEach(() => {
    records.length = 0;
    anthropic.faults.clear();
  });

  afterAll(async () => {
    await gateway.close();
    await anthropic.close();
    geminiServer.closeAllConnections();
    await new Promise((r) => geminiServer.close(r));
  });

  /** Reads the stream of `request`, leaving after `leaveAfter` text parts; what the client read and what it was told was billed. */
  async function streamed(request: ChatRequest, leaveAfter = Infinity): Promise<{ texts: number; thrown: unknown }> {
    const { parts } = await gateway.stream(request);
    let texts = 0;
    try {
      for await (const p of parts as AsyncIterable<StreamPart>) if (p.type === 'text' && ++texts >= leaveAfter) break;
    } catch (err) {
      return { texts, thrown: err };
    }
    return { texts, thrown: undefined };
  }

  describe('Claude, its prompt read from the cache', () => {
    let prompt: number;
    let cachedRead: number;

    beforeAll(async () => {
      const warm = await gateway.chat(cached);
      prompt = warm.response.usage.prompt;
      const again = await gateway.chat(cached);
      cachedRead = again.response.usage.cachedRead;
      // The prompt is almost all cache: what a cut stream of it must be billed as.
      expect(cachedRead).toBeGreaterThan(prompt * 0.9);
      records.length = 0;
    });

    it('bills a stream cut after two chunks the prompt message_start counted, cached reads apart, not the estimate at full input price', async () => {
      anthropic.faults.add({ cut_after_chunks: 2, count: 1 });
      const { texts, thrown } = await streamed(cached);
      expect(texts).toBe(2);
      expect(records).toHaveLength(1);
      const record = records[0] as AttemptRecord;
      expect(record).toMatchObject({ outcome: 'error', usageEstimated: true, usage: { prompt, cachedRead, cachedWrite: 0 } });
      expect(record.usage?.completion).toBeGreaterThan(0);
      expect(thrown).toMatchObject({ spent: { usage: record.usage, estimated: true } });
    });

    it('bills a stream its client left the same way', async () => {
      const { texts } = await streamed(cached, 1);
      expect(texts).toBe(1);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ outcome: 'cancelled', usageEstimated: true, usage: { prompt, cachedRead, cachedWrite: 0 } });
    });
  });

  describe('Gemini, its counts on every chunk', () => {
    const soFar = { prompt: 1_200, cachedRead: 1_000, completion: 252, reasoning: 250 };

    it('bills a stream cut after two chunks the last counts it gave, its unstreamed thoughts included', async () => {
      gemini.hold = false;
      const { texts, thrown } = await streamed({ model: 'gemini', messages: [userText('hi')] });
      expect(texts).toBe(2);
      expect(records).toHaveLength(1);
      const record = records[0] as AttemptRecord;
      expect(record).toMatchObject({ outcome: 'error', usageEstimated: true, usage: soFar });
      expect(thrown).toMatchObject({ spent: { usage: record.usage, estimated: true } });
    });

    it('bills a stream its client left the same way', async () => {
      gemini.hold = true;
      const { texts } = await streamed({ model: 'gemini', messages: [userText('hi')] }, 2);
      expect(texts).toBe(2);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ outcome: 'cancelled', usageEstimated: true, usage: soFar });
    });
  });
});
