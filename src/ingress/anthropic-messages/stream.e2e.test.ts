import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { countTokens, REFUSAL_TEXT } from '../../sim/answer.js';
import { STREAM_KEY, UPSTREAM_MODELS, startStreamDoor, type SseEvent, type StreamDoor } from '../testing/stream-door.js';

/*
 * The Messages door's stream, event by event, over upstreams of other wire formats (OpenAI chat
 * completions, Bedrock Converse), compared with Anthropic's "Streaming Messages" documentation: each
 * event named by `event:` with the same `type` in its data; `message_start` with a Message of empty
 * content; per content block a `content_block_start`, its `content_block_delta`s (text_delta,
 * thinking_delta then signature_delta, input_json_delta) and a `content_block_stop`, the block's `index`
 * its place in the final content; a `ping` after the first block starts (the documented example's
 * place); one `message_delta` (stop_reason, stop_sequence, cumulative usage); `message_stop`. An error
 * mid-stream is an `error` event `{"type":"error","error":{type, message}}`, and nothing follows it.
 */

const TOOL = { name: 'lookup', input_schema: { type: 'object', properties: { query: { type: 'string' } } } };
const MESSAGE_KEYS = ['id', 'type', 'role', 'model', 'content', 'container', 'stop_reason', 'stop_sequence', 'stop_details', 'usage', 'diagnostics'];

const names = (events: SseEvent[]): string[] => events.map((e) => e.event);
const words = (text: string): string[] => text.split(/(?<= )/);
const data = (events: SseEvent[], name: string): Array<Record<string, unknown>> => events.filter((e) => e.event === name).map((e) => e.data as Record<string, unknown>);
/** The deltas of block `index`, as their data. */
const deltasOf = (events: SseEvent[], index: number): unknown[] => data(events, 'content_block_delta').filter((d) => d.index === index).map((d) => d.delta);

/** Checks what every stream shares: the event name as its data's type, and message_start's Message. */
function checkFrame(events: SseEvent[], model: string): void {
  for (const e of events) expect((e.data as { type: string }).type).toBe(e.event);
  const start = data(events, 'message_start')[0]?.message as Record<string, unknown>;
  expect(Object.keys(start)).toEqual(MESSAGE_KEYS);
  expect(start).toMatchObject({ id: expect.stringMatching(/^msg_[0-9a-f]{32}$/), type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null });
  // Before the upstream's own count, the gateway's estimate: never 0 for a prompt.
  expect((start.usage as { input_tokens: number; output_tokens: number }).input_tokens).toBeGreaterThan(0);
  expect((start.usage as { output_tokens: number }).output_tokens).toBe(0);
}

describe('the Messages door streams the documented events, over other upstreams', () => {
  let door: StreamDoor;
  let client: Anthropic;
  const stream = async (body: Record<string, unknown>): Promise<SseEvent[]> => {
    const res = await door.post('/v1/messages', { max_tokens: 2048, ...body, stream: true });
    expect(res.status).toBe(200);
    checkFrame(res.events, body.model as string);
    return res.events;
  };
  const closing = (stop: string, sequence: string | null, usage: Record<string, unknown>): Record<string, unknown> => ({
    type: 'message_delta',
    delta: { container: null, stop_reason: stop, stop_sequence: sequence, stop_details: null },
    usage: { cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens_details: null, server_tool_use: null, ...usage },
  });

  beforeAll(async () => {
    door = await startStreamDoor('messages-stream');
    client = new Anthropic({ baseURL: door.url, apiKey: STREAM_KEY, maxRetries: 0 });
  });
  afterAll(async () => door.close());
  afterEach(() => door.clearFaults());

  it("plain text over OpenAI: one text block at index 0 with a ping after its start, end_turn, and the upstream's counts in message_delta", async () => {
    const events = await stream({ model: 'openai', messages: [{ role: 'user', content: 'hi' }] });
    const text = words(`Hello from ${UPSTREAM_MODELS.openai}! You said: hi.`);
    expect(names(events)).toEqual(['message_start', 'content_block_start', 'ping', ...text.map(() => 'content_block_delta'), 'content_block_stop', 'message_delta', 'message_stop']);
    expect(data(events, 'content_block_start')).toEqual([{ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }]);
    expect(deltasOf(events, 0)).toEqual(text.map((t) => ({ type: 'text_delta', text: t })));
    expect(data(events, 'content_block_stop')).toEqual([{ type: 'content_block_stop', index: 0 }]);
    expect(data(events, 'message_delta')).toEqual([closing('end_turn', null, { input_tokens: countTokens('hi'), output_tokens: countTokens(text.join('')) })]);
    const final = await client.messages.stream({ model: 'openai', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    expect(final.usage).toMatchObject({ input_tokens: countTokens('hi'), output_tokens: countTokens(text.join('')) });
  });

  it("thinking over OpenAI: an unsigned thinking block at 0 (no signature_delta: only Claude's signatures are written), the text at 1, the ping after the text's start", async () => {
    const events = await stream({ model: 'openai', thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'think step by step: hi' }] });
    const reasoning = words('The user wrote "think step by step: hi". A short friendly reply will do.');
    const text = words(`Hello from ${UPSTREAM_MODELS.openai}! You said: think step by step: hi.`);
    expect(names(events)).toEqual([
      'message_start',
      'content_block_start',
      ...reasoning.map(() => 'content_block_delta'),
      'content_block_stop',
      'content_block_start',
      'ping',
      ...text.map(() => 'content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(data(events, 'content_block_start').map((d) => d.content_block)).toEqual([{ type: 'thinking', thinking: '', signature: '' }, { type: 'text', text: '' }]);
    expect(deltasOf(events, 0)).toEqual(reasoning.map((thinking) => ({ type: 'thinking_delta', thinking })));
    expect(deltasOf(events, 1)).toEqual(text.map((t) => ({ type: 'text_delta', text: t })));
    expect(data(events, 'content_block_stop').map((d) => d.index)).toEqual([0, 1]);
  });

  it("thinking over Bedrock (Claude): the thinking block's deltas end with its signature_delta, as the API's do, then the text block", async () => {
    const events = await stream({ model: 'bedrock', thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'think step by step: hi' }] });
    const thinking = deltasOf(events, 0);
    const reasoning = words('The user wrote "think step by step: hi". A short friendly reply will do.');
    expect(thinking).toEqual([...reasoning.map((t) => ({ type: 'thinking_delta', thinking: t })), { type: 'signature_delta', signature: expect.stringMatching(/.+/) }]);
    expect(names(events).slice(0, 2)).toEqual(['message_start', 'content_block_start']);
    const final = await client.messages.stream({ model: 'bedrock', max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'think step by step: hi' }] }).finalMessage();
    expect(final.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    expect(final.content[0]).toMatchObject({ signature: (thinking.at(-1) as { signature: string }).signature });
  });

  it("a tool call over OpenAI: a tool_use block with the upstream's id, the name and input {}, the ping, input_json_delta pieces, stop_reason tool_use", async () => {
    const events = await stream({ model: 'openai', tools: [TOOL], messages: [{ role: 'user', content: 'Please call the tool' }] });
    expect(names(events).slice(0, 3)).toEqual(['message_start', 'content_block_start', 'ping']);
    expect(data(events, 'content_block_start')).toEqual([{ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: expect.stringMatching(/^call_/), name: 'lookup', input: {} } }]);
    const pieces = deltasOf(events, 0) as Array<{ type: string; partial_json: string }>;
    expect(pieces.every((p) => p.type === 'input_json_delta')).toBe(true);
    expect(pieces.map((p) => p.partial_json).join('')).toBe(JSON.stringify({ query: 'Please call the tool' }));
    expect(data(events, 'message_delta')[0]?.delta).toEqual({ container: null, stop_reason: 'tool_use', stop_sequence: null, stop_details: null });
  });

  it("an OpenAI refusal: its words as a text block's text_deltas, as Claude declines, and stop_reason refusal", async () => {
    const events = await stream({ model: 'openai', messages: [{ role: 'user', content: 'Please refuse to answer.' }] });
    expect(data(events, 'content_block_start').map((d) => d.content_block)).toEqual([{ type: 'text', text: '' }]);
    expect(deltasOf(events, 0)).toEqual(words(REFUSAL_TEXT).map((text) => ({ type: 'text_delta', text })));
    expect(data(events, 'message_delta')[0]?.delta).toMatchObject({ stop_reason: 'refusal', stop_sequence: null });
  });

  it('a max_tokens stop over OpenAI: the text that fits, then stop_reason max_tokens', async () => {
    const events = await stream({ model: 'openai', max_tokens: 3, messages: [{ role: 'user', content: 'hi' }] });
    expect(deltasOf(events, 0)).toEqual([{ type: 'text_delta', text: 'Hello ' }]);
    expect(data(events, 'message_delta')).toEqual([closing('max_tokens', null, { input_tokens: countTokens('hi'), output_tokens: countTokens('Hello ') })]);
  });

  it('an empty answer over Bedrock (its stop sequence first): no content block, the stop_sequence named, no output tokens', async () => {
    const events = await stream({ model: 'bedrock', stop_sequences: ['Hello'], messages: [{ role: 'user', content: 'hi' }] });
    expect(names(events)).toEqual(['message_start', 'message_delta', 'message_stop']);
    expect(data(events, 'message_delta')).toEqual([closing('stop_sequence', 'Hello', { input_tokens: countTokens('hi'), output_tokens: 0 })]);
    const final = await client.messages.stream({ model: 'bedrock', max_tokens: 64, stop_sequences: ['Hello'], messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    expect(final).toMatchObject({ content: [], stop_reason: 'stop_sequence', stop_sequence: 'Hello' });
  });

  it.each([
    ['an upstream error event', { stream_error_after_chunks: 2 }, /server error mid-stream/],
    ['a connection cut', { cut_after_chunks: 2 }, /stream ended before it finished: the upstream (closed|reset) the connection after \d+ bytes/],
  ])('%s after content over OpenAI: the events sent, then one error event, no block stop, message_delta or message_stop; the SDK raises', async (_name, fault, message) => {
    door.faultsOf('openai').add({ ...fault, count: 1 });
    const events = await stream({ model: 'openai', messages: [{ role: 'user', content: 'hi' }] });
    expect(names(events)).toEqual(['message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_delta', 'error']);
    expect(deltasOf(events, 0)).toEqual(['Hello ', 'from '].map((text) => ({ type: 'text_delta', text })));
    expect(events.at(-1)?.data).toEqual({ type: 'error', error: { type: 'api_error', message: expect.stringMatching(message) } });
    door.faultsOf('openai').add({ ...fault, count: 1 });
    await expect(client.messages.stream({ model: 'openai', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }).finalMessage()).rejects.toBeInstanceOf(Anthropic.APIError);
  });
});
