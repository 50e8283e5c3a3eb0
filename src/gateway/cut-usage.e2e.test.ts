import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import type { AttemptRecord } from '../core/events.js';
import { makeUsage, type ChatRequest, type StreamPart } from '../core/types.js';
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

/** A Claude stream's events as the Messages API writes them. */
const event = (data: Record<string, unknown>): string => `event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`;
/**
 * A Claude answer up to its message_delta, whose cumulative usage gives the exact output count and the
 * prompt's counts again (here one more token read from the cache than message_start said); message_stop
 * never comes.
 */
const CLAUDE_EVENTS = [
  { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-6', content: [], stop_reason: null, usage: { input_tokens: 12, cache_read_input_tokens: 15_000, cache_creation_input_tokens: 40, cache_creation: { ephemeral_5m_input_tokens: 30, ephemeral_1h_input_tokens: 10 }, output_tokens: 1 } } },
  { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Tokens of many characters each' } },
  { type: 'content_block_stop', index: 0 },
  { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { input_tokens: 12, cache_read_input_tokens: 15_001, cache_creation_input_tokens: 40, output_tokens: 3 } },
].map(event);

/** A Claude upstream that streams an answer up to its message_delta, then cuts the connection before message_stop. */
async function claudeUpstream(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res: ServerResponse) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(CLAUDE_EVENTS.join(''));
    setImmediate(() => res.socket?.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

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
  let claudeServer: Server;
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
    const claude = await claudeUpstream();
    claudeServer = claude.server;
    const account = createSimServiceAccount(PROJECT);
    const parsed = parseConfig(
      {
        routing: { max_attempts_per_deployment: 1 },
        deployments: [
          { id: 'claude', provider: 'anthropic', model: 'claude-sonnet-4-6', endpoint: anthropic.url, api_key: 'sk-ant' },
          { id: 'claude-cut', provider: 'anthropic', model: 'claude-sonnet-4-6', endpoint: claude.url, api_key: 'sk-ant' },
          { id: 'gemini', provider: 'vertex', model: 'gemini-2.5-flash', project: PROJECT, region: 'europe-west4', endpoint: upstream.url, credentials_file: '${VERTEX_SA}', self_signed_jwt: true },
        ],
        groups: [
          { name: 'claude', deployments: ['claude'] },
          { name: 'claude-cut', deployments: ['claude-cut'] },
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
    for (const server of [geminiServer, claudeServer]) {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
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

    // Each breaks the stream after message_start, before any content: the attempt fails (no fallback here).
    it.each([
      ['a garbled event', { malformed: true }, 'bad_upstream_response'],
      ['an error event', { stream_error_after_chunks: 0 }, 'overloaded'],
      ['a cut', { cut_after_chunks: 0 }, 'network'],
    ])('bills a stream broken by %s right after message_start the prompt it counted, not the estimate nor nothing', async (_, fault, kind) => {
      anthropic.faults.add({ ...fault, count: 1 });
      await expect(gateway.stream(cached)).rejects.toMatchObject({ kind });
      expect(records).toEqual([expect.objectContaining({ outcome: 'error', usageEstimated: true, usage: makeUsage({ prompt, cachedRead, cachedWrite1h: 0 }) })]);
    });
  });

  it('bills a Claude stream broken before any content the cache writes message_start counted, the one-hour ones apart', async () => {
    const oneHour: ChatRequest = { ...cached, messages: [{ role: 'system', content: [{ type: 'text', text: 'Written for an hour. '.repeat(4_000), cacheControl: { type: 'ephemeral', ttl: '1h' } }] }, userText('hi')] };
    anthropic.faults.add({ malformed: true, count: 1 });
    await expect(gateway.stream(oneHour)).rejects.toMatchObject({ kind: 'bad_upstream_response' });
    const usage = records[0]?.usage;
    expect(usage?.cachedWrite).toBeGreaterThan(10_000);
    // All of it written for an hour but the user's "hi", the one token outside the cache.
    expect(usage).toEqual(makeUsage({ prompt: (usage?.cachedWrite as number) + 1, cachedWrite: usage?.cachedWrite, cachedWrite1h: usage?.cachedWrite }));
    expect(records[0]).toMatchObject({ outcome: 'error', usageEstimated: true });
  });

  describe('Claude cut after its message_delta, before message_stop', () => {
    it("bills message_delta's cumulative usage as it is: the exact output count and the prompt's counts as it last gave them", async () => {
      const parts: StreamPart[] = [];
      let thrown: unknown;
      try {
        for await (const p of (await gateway.stream({ model: 'claude-cut', messages: [userText('hi')] })).parts as AsyncIterable<StreamPart>) parts.push(p);
      } catch (err) {
        thrown = err;
      }
      // 3 tokens, where the text's 30 characters would count 8; the hour's 10 of the 40 written from message_start.
      const usage = makeUsage({ prompt: 15_053, cachedRead: 15_001, cachedWrite: 40, cachedWrite1h: 10, completion: 3 });
      expect(parts.filter((p) => p.type === 'finish')).toEqual([{ type: 'finish', finishReason: 'stop' }]);
      expect(records).toEqual([expect.objectContaining({ deployment: 'claude-cut', outcome: 'error', usageEstimated: false, usage })]);
      expect(thrown).toMatchObject({ kind: 'network', spent: { usage, estimated: false } });
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
