import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { parseConfig } from '../config/load.js';
import { createGateway } from '../gateway/gateway.js';
import { startServer, type RunningServer } from '../adapters/node/server.js';
import { REFUSAL_TEXT } from '../sim/answer.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';

/*
 * An OpenAI upstream that declines (the simulator answers `refusal`, content null, and streams the words
 * as `delta.refusal` pieces, as OpenAI does), through the real server, read by each door's official SDK:
 * every door must hand the client the refusal's words, whole and as they stream.
 */

const KEY = 'sk-refusal';
const ASK = 'Please refuse to answer.';
/** The pieces the simulator streams the refusal in. */
const PIECES = REFUSAL_TEXT.split(/(?<= )/);

describe('a refusal from an OpenAI upstream, through every door', () => {
  let sim: SimServer;
  let server: RunningServer;
  let openai: OpenAI;
  let anthropic: Anthropic;

  beforeAll(async () => {
    sim = await startOpenAISim({ apiKey: 'sk-up' });
    const parsed = parseConfig({
      api_keys: [{ id: 'k', key: KEY }],
      routing: { max_attempts_per_deployment: 1, attempt_timeout_ms: 5_000, allow_direct_deployments: true },
      deployments: [{ id: 'gpt', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1`, api_key: 'sk-up' }],
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    server = await startServer(createGateway(parsed.config), { port: 0 });
    openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: server.url, apiKey: KEY, maxRetries: 0 });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await sim.close();
  });

  describe('Chat Completions (openai SDK)', () => {
    it('answers with the refusal, null content and finish_reason stop', async () => {
      const r = await openai.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: ASK }] });
      expect(r.choices[0]).toMatchObject({ message: { role: 'assistant', content: null, refusal: REFUSAL_TEXT }, finish_reason: 'stop' });
    });

    it('streams the refusal piece by piece as it comes, which chat.completions.stream surfaces', async () => {
      const raw = await openai.chat.completions.create({ model: 'gpt', stream: true, messages: [{ role: 'user', content: ASK }] });
      const deltas: unknown[] = [];
      for await (const chunk of raw) deltas.push(chunk.choices[0]?.delta);
      expect(deltas).toEqual([{ role: 'assistant', content: null, refusal: '' }, ...PIECES.map((refusal) => ({ refusal })), {}]);
      const pieces: string[] = [];
      const stream = openai.chat.completions.stream({ model: 'gpt', messages: [{ role: 'user', content: ASK }] }).on('refusal.delta', (e) => pieces.push(e.delta));
      const final = await stream.finalChatCompletion();
      expect(pieces).toEqual(PIECES);
      expect(final.choices[0]).toMatchObject({ message: { content: null, refusal: REFUSAL_TEXT }, finish_reason: 'stop' });
    });
  });

  describe('Responses (openai SDK)', () => {
    it('answers a completed response whose message holds the refusal part', async () => {
      const r = await openai.responses.create({ model: 'gpt', input: ASK, store: false });
      expect(r.status).toBe('completed');
      expect(r.output).toEqual([expect.objectContaining({ type: 'message', status: 'completed', content: [{ type: 'refusal', refusal: REFUSAL_TEXT }] })]);
      expect(r.output_text).toBe('');
    });

    it('streams refusal.delta events, refusal.done and the part, which responses.stream surfaces', async () => {
      const stream = openai.responses.stream({ model: 'gpt', input: ASK, store: false });
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const event of stream) events.push(event);
      const final = await stream.finalResponse();
      const types = events.map((e) => e.type);
      expect(types.filter((t) => t.startsWith('response.content_part') || t.startsWith('response.refusal') || t.startsWith('response.output_text'))).toEqual([
        'response.content_part.added',
        ...PIECES.map(() => 'response.refusal.delta'),
        'response.refusal.done',
        'response.content_part.done',
      ]);
      const deltas = events.flatMap((e) => (e.type === 'response.refusal.delta' ? [e.delta] : []));
      expect(deltas).toEqual(PIECES);
      expect(events.find((e) => e.type === 'response.refusal.done')).toMatchObject({ content_index: 0, output_index: 0, refusal: REFUSAL_TEXT });
      expect(events.find((e) => e.type === 'response.content_part.added')).toMatchObject({ part: { type: 'refusal', refusal: '' } });
      expect(final.status).toBe('completed');
      expect(final.output).toMatchObject([{ type: 'message', status: 'completed', content: [{ type: 'refusal', refusal: REFUSAL_TEXT }] }]);
    });
  });

  describe('Messages (@anthropic-ai/sdk)', () => {
    it('answers with the refusal as a text block and stop_reason refusal', async () => {
      const m = await anthropic.messages.create({ model: 'gpt', max_tokens: 256, messages: [{ role: 'user', content: ASK }] });
      expect(m.content).toEqual([{ type: 'text', text: REFUSAL_TEXT }]);
      expect(m.stop_reason).toBe('refusal');
    });

    it('streams the refusal as text deltas of one text block, then stop_reason refusal, which messages.stream surfaces', async () => {
      const pieces: string[] = [];
      const stream = anthropic.messages.stream({ model: 'gpt', max_tokens: 256, messages: [{ role: 'user', content: ASK }] }).on('text', (delta) => pieces.push(delta));
      const m = await stream.finalMessage();
      expect(pieces).toEqual(PIECES);
      expect(m.content).toEqual([expect.objectContaining({ type: 'text', text: REFUSAL_TEXT })]);
      expect(m.stop_reason).toBe('refusal');
    });
  });
});
