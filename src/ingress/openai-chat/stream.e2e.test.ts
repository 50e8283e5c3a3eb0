import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { countTokens } from '../../sim/answer.js';
import { STREAM_KEY, UPSTREAM_MODELS, startStreamDoor, type SseEvent, type StreamDoor } from '../testing/stream-door.js';

/*
 * The chat door's stream, chunk by chunk, over upstreams of other wire formats (Claude's Messages API,
 * Gemini), compared with OpenAI's API reference for the chat.completion.chunk object and with OpenAI's
 * streams as captured by SDK authors: every chunk `{id, object, created, model, service_tier,
 * system_fingerprint, choices:[{index, delta, logprobs, finish_reason}]}` (plus `"usage":null` with
 * `stream_options.include_usage`, and then a last chunk of empty choices with the usage), one id and
 * `created` for the whole stream, a first chunk saying the role (`{"role":"assistant","content":"",
 * "refusal":null}`, or for an answer opening with a tool call `{"role":"assistant","content":null,
 * "tool_calls":[...],"refusal":null}`), an empty delta carrying the finish_reason, then `data: [DONE]`;
 * a stream that breaks sends `{"error":{...}}` and no `[DONE]`.
 */

const TOOLS = [{ type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: { query: { type: 'string' } } } } }];
const CHUNK_KEYS = ['id', 'object', 'created', 'model', 'service_tier', 'system_fingerprint', 'choices'];

interface Chunk {
  id: string;
  created: number;
  choices: Array<{ index: number; delta: Record<string, unknown>; logprobs: null; finish_reason: string | null }>;
  usage?: Record<string, unknown> | null;
}

/** The chunks before `[DONE]`, checked to share one id and `created` and to carry OpenAI's keys in order. */
function chunksOf(events: SseEvent[], includeUsage: boolean): Chunk[] {
  expect(events.at(-1)?.data).toBe('[DONE]');
  const chunks = events.slice(0, -1).map((e) => e.data as Chunk);
  for (const c of chunks) {
    expect(Object.keys(c)).toEqual(includeUsage ? [...CHUNK_KEYS, 'usage'] : CHUNK_KEYS);
    expect(c).toMatchObject({ id: chunks[0]?.id, object: 'chat.completion.chunk', created: chunks[0]?.created, service_tier: null, system_fingerprint: null });
    for (const choice of c.choices) expect(Object.keys(choice)).toEqual(['index', 'delta', 'logprobs', 'finish_reason']);
  }
  expect(chunks[0]?.id).toMatch(/^chatcmpl-/);
  return chunks;
}

const deltas = (chunks: Chunk[]): Array<Record<string, unknown>> => chunks.flatMap((c) => c.choices.map((choice) => choice.delta));
const finishes = (chunks: Chunk[]): Array<string | null> => chunks.flatMap((c) => c.choices.map((choice) => choice.finish_reason));
const words = (text: string): string[] => text.split(/(?<= )/);

describe('the chat door streams chat.completion.chunk frames as OpenAI does, over other upstreams', () => {
  let door: StreamDoor;
  let client: OpenAI;
  const stream = async (body: Record<string, unknown>): Promise<SseEvent[]> => {
    const res = await door.post('/v1/chat/completions', { ...body, stream: true });
    expect(res.status).toBe(200);
    return res.events;
  };

  beforeAll(async () => {
    door = await startStreamDoor('chat-stream');
    client = new OpenAI({ baseURL: `${door.url}/v1`, apiKey: STREAM_KEY, maxRetries: 0 });
  });
  afterAll(async () => door.close());
  afterEach(() => door.clearFaults());

  it('plain text with include_usage: the role chunk, one chunk per piece, the finish, the usage chunk (usage null before it), [DONE]', async () => {
    const ask = { model: 'anthropic', messages: [{ role: 'user' as const, content: 'hi' }] };
    const chunks = chunksOf(await stream({ ...ask, stream_options: { include_usage: true } }), true);
    const text = `Hello from ${UPSTREAM_MODELS.anthropic}! You said: hi.`;
    expect(deltas(chunks)).toEqual([{ role: 'assistant', content: '', refusal: null }, ...words(text).map((content) => ({ content })), {}]);
    expect(finishes(chunks)).toEqual([...Array<null>(words(text).length + 1).fill(null), 'stop']);
    const last = chunks.at(-1);
    expect(chunks.slice(0, -1).map((c) => c.usage)).toEqual(Array<null>(chunks.length - 1).fill(null));
    expect(last?.choices).toEqual([]);
    // The upstream's own counts, in OpenAI's usage shape with every detail, as the whole answer reports them.
    const whole = await client.chat.completions.create(ask);
    expect(last?.usage).toEqual(whole.usage);
    expect(last?.usage).toEqual({
      prompt_tokens: countTokens('hi'),
      completion_tokens: countTokens(text),
      total_tokens: countTokens('hi') + countTokens(text),
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    });
  });

  it("reasoning (Claude's signed thinking): reasoning_content pieces before the content, no signature, no usage key without include_usage", async () => {
    const events = await stream({ model: 'anthropic', reasoning_effort: 'low', messages: [{ role: 'user', content: 'think step by step: hi' }] });
    const chunks = chunksOf(events, false);
    const reasoning = words('The user wrote "think step by step: hi". A short friendly reply will do.');
    const text = words(`Hello from ${UPSTREAM_MODELS.anthropic}! You said: think step by step: hi.`);
    expect(deltas(chunks)).toEqual([
      { role: 'assistant', content: '', refusal: null },
      ...reasoning.map((r) => ({ reasoning_content: r })),
      ...text.map((content) => ({ content })),
      {},
    ]);
    expect(JSON.stringify(events)).not.toContain('signature');
  });

  it('a tool call: the role said in the call\'s chunk (content null, refusal null after the call), arguments piece by piece, finish tool_calls', async () => {
    const chunks = chunksOf(await stream({ model: 'anthropic', tools: TOOLS, messages: [{ role: 'user', content: 'Please call the tool' }] }), false);
    const [first, ...rest] = deltas(chunks);
    expect(Object.keys(first ?? {})).toEqual(['role', 'content', 'tool_calls', 'refusal']);
    expect(first).toEqual({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: expect.stringMatching(/^toolu_/), type: 'function', function: { name: 'lookup', arguments: '' } }], refusal: null });
    const pieces = rest.slice(0, -1).map((d) => d.tool_calls as Array<{ index: number; function: { arguments: string } }>);
    for (const p of pieces) expect(p).toEqual([{ index: 0, function: { arguments: expect.any(String) } }]);
    expect(pieces.map((p) => p[0]?.function.arguments).join('')).toBe(JSON.stringify({ query: 'Please call the tool' }));
    expect(rest.at(-1)).toEqual({});
    expect(finishes(chunks).at(-1)).toBe('tool_calls');
    const final = await client.chat.completions.stream({ model: 'anthropic', tools: TOOLS, messages: [{ role: 'user', content: 'Please call the tool' }] }).finalChatCompletion();
    expect(final.choices[0]?.message.tool_calls?.[0]).toMatchObject({ type: 'function', function: { name: 'lookup', arguments: '{"query":"Please call the tool"}' } });
  });

  it("a Gemini tool call, whose arguments come whole: one chunk with the role and the call, refusal null, then the finish", async () => {
    const chunks = chunksOf(await stream({ model: 'gemini', tools: TOOLS, messages: [{ role: 'user', content: 'Please call the tool' }] }), false);
    expect(deltas(chunks)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ index: 0, id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'lookup', arguments: '{"query":"Please call the tool"}' } }], refusal: null },
      {},
    ]);
    expect(finishes(chunks)).toEqual([null, 'tool_calls']);
  });

  it('a max_tokens stop: the text that fits, then finish_reason length', async () => {
    const chunks = chunksOf(await stream({ model: 'anthropic', max_tokens: 3, messages: [{ role: 'user', content: 'hi' }] }), false);
    expect(deltas(chunks)).toEqual([{ role: 'assistant', content: '', refusal: null }, { content: 'Hello ' }, {}]);
    expect(finishes(chunks)).toEqual([null, null, 'length']);
  });

  it('an empty completion: the role chunk and the finish chunk, nothing between, the usage counting no completion tokens', async () => {
    const chunks = chunksOf(await stream({ model: 'anthropic', stop: ['Hello'], stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] }), true);
    expect(deltas(chunks)).toEqual([{ role: 'assistant', content: '', refusal: null }, {}]);
    expect(finishes(chunks)).toEqual([null, 'stop']);
    expect(chunks.at(-1)?.usage).toMatchObject({ prompt_tokens: countTokens('hi'), completion_tokens: 0, total_tokens: countTokens('hi') });
  });

  it.each([
    ['an upstream error event', { stream_error_after_chunks: 2 }, /overloaded/],
    ['a connection cut', { cut_after_chunks: 2 }, /stream ended before it finished: the upstream (closed|reset) the connection after \d+ bytes/],
  ])('%s after content: the chunks sent, then one {"error":{...}} frame and no [DONE], which the SDK raises', async (_name, fault, message) => {
    door.faultsOf('anthropic').add({ ...fault, count: 1 });
    const events = await stream({ model: 'anthropic', stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] });
    const error = events.at(-1)?.data;
    expect(error).toEqual({ error: { message: expect.stringMatching(message), type: 'server_error', param: null, code: null } });
    const chunks = events.slice(0, -1).map((e) => e.data as Chunk);
    expect(deltas(chunks)).toEqual([{ role: 'assistant', content: '', refusal: null }, { content: 'Hello ' }, { content: 'from ' }]);
    expect(chunks.map((c) => c.usage)).toEqual([null, null, null]);
    expect(events.map((e) => e.data)).not.toContain('[DONE]');
    door.faultsOf('anthropic').add({ ...fault, count: 1 });
    const sdk = client.chat.completions.create({ model: 'anthropic', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    await expect((async () => { for await (const _ of await sdk); })()).rejects.toBeInstanceOf(OpenAI.APIError);
  });
});
