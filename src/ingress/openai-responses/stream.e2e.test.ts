import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { countTokens, REFUSAL_TEXT } from '../../sim/answer.js';
import { STREAM_KEY, UPSTREAM_MODELS, startStreamDoor, type SseEvent, type StreamDoor } from '../testing/stream-door.js';

/*
 * The Responses door's stream, event by event, over upstreams of other wire formats (Bedrock Converse,
 * Vertex Gemini, OpenAI chat completions), compared with OpenAI's Responses streaming reference: every
 * event named by `event:` with the same `type` and a `sequence_number` counting from 0;
 * `response.created` and `response.in_progress` first; each output item streamed whole before the next
 * (`output_item.added`, for a message `content_part.added`, deltas, `output_text.done` /
 * `refusal.done`, `content_part.done`; for a function call `function_call_arguments.delta`s and `.done`
 * with its name; for reasoning `reasoning_summary_part.added`, `reasoning_summary_text.delta`s,
 * `.done`s), then `output_item.done`; one terminal `response.completed` (or `.incomplete` with
 * `incomplete_details`, or after an `error` event `response.failed`), whose output lists the items as done.
 */

const TOOLS = [{ type: 'function' as const, name: 'lookup', parameters: { type: 'object', properties: { query: { type: 'string' } } }, strict: false }];

type Data = Record<string, unknown> & { type: string; sequence_number: number };
const words = (text: string): string[] => text.split(/(?<= )/);

/** The events' data, checked for what every Responses stream shares. */
function checked(events: SseEvent[]): Data[] {
  const all = events.map((e) => e.data as Data);
  events.forEach((e, i) => expect([all[i]?.type, all[i]?.sequence_number]).toEqual([e.event, i]));
  expect(all.slice(0, 2).map((d) => d.type)).toEqual(['response.created', 'response.in_progress']);
  const id = (all[0]?.response as { id: string }).id;
  expect(id).toMatch(/^resp_/);
  for (const d of all) if (d.response !== undefined) expect((d.response as { id: string }).id).toBe(id);
  return all;
}

/** Event types with the deltas folded into one entry per run, so a sequence reads as the reference lists it. */
function shape(all: Data[]): string[] {
  return all.map((d) => d.type).filter((t, i, types) => !(t.endsWith('.delta') && types[i - 1] === t));
}

const MESSAGE_EVENTS = ['response.output_item.added', 'response.content_part.added', 'response.output_text.delta', 'response.output_text.done', 'response.content_part.done', 'response.output_item.done'];

describe('the Responses door streams the documented events, over other upstreams', () => {
  let door: StreamDoor;
  let client: OpenAI;
  const stream = async (body: Record<string, unknown>): Promise<Data[]> => {
    const res = await door.post('/v1/responses', { ...body, stream: true });
    expect(res.status).toBe(200);
    return checked(res.events);
  };
  const of = (all: Data[], type: string): Data[] => all.filter((d) => d.type === type);

  beforeAll(async () => {
    door = await startStreamDoor('responses-stream');
    client = new OpenAI({ baseURL: `${door.url}/v1`, apiKey: STREAM_KEY, maxRetries: 0 });
  });
  afterAll(async () => door.close());
  afterEach(() => door.clearFaults());

  it("plain text over Bedrock: one message item of one output_text part, deltas equal to its .done text, completed with the upstream's usage", async () => {
    const all = await stream({ model: 'bedrock', input: 'hi' });
    expect(shape(all)).toEqual(['response.created', 'response.in_progress', ...MESSAGE_EVENTS, 'response.completed']);
    const text = `Hello from ${UPSTREAM_MODELS.bedrock}! You said: hi.`;
    const added = of(all, 'response.output_item.added')[0];
    const itemId = (added?.item as { id: string }).id;
    expect(itemId).toMatch(/^msg_/);
    expect(added).toEqual({ type: 'response.output_item.added', sequence_number: 2, output_index: 0, item: { id: itemId, type: 'message', status: 'in_progress', role: 'assistant', content: [] } });
    expect(of(all, 'response.content_part.added')[0]).toEqual({ type: 'response.content_part.added', sequence_number: 3, item_id: itemId, output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } });
    expect(of(all, 'response.output_text.delta').map((d) => [d.item_id, d.output_index, d.content_index, d.delta, d.logprobs])).toEqual(words(text).map((w) => [itemId, 0, 0, w, []]));
    expect(of(all, 'response.output_text.done')[0]).toMatchObject({ item_id: itemId, output_index: 0, content_index: 0, text, logprobs: [] });
    const item = { id: itemId, type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [], logprobs: [] }] };
    expect(of(all, 'response.output_item.done')[0]?.item).toEqual(item);
    const completed = all.at(-1)?.response as Record<string, unknown>;
    expect(completed).toMatchObject({ status: 'completed', error: null, incomplete_details: null, output: [item] });
    expect(completed.usage).toEqual({
      input_tokens: countTokens('hi'),
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      output_tokens: countTokens(text),
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: countTokens('hi') + countTokens(text),
    });
    expect((await client.responses.create({ model: 'bedrock', input: 'hi' })).usage).toEqual(completed.usage);
  });

  it("reasoning over Bedrock (signed): a reasoning item first (rs_, its summary streamed, the sealed signature as encrypted_content when asked), then the message", async () => {
    const all = await stream({ model: 'bedrock', reasoning: { effort: 'low', summary: 'auto' }, include: ['reasoning.encrypted_content'], input: 'think step by step: hi' });
    expect(shape(all)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      ...MESSAGE_EVENTS,
      'response.completed',
    ]);
    const summary = 'The user wrote "think step by step: hi". A short friendly reply will do.';
    const reasoning = of(all, 'response.output_item.done')[0];
    expect(reasoning).toMatchObject({ output_index: 0, item: { id: expect.stringMatching(/^rs_/), type: 'reasoning', summary: [{ type: 'summary_text', text: summary }], encrypted_content: expect.stringMatching(/.+/) } });
    expect(of(all, 'response.reasoning_summary_text.delta').map((d) => [d.output_index, d.summary_index, d.delta])).toEqual(words(summary).map((w) => [0, 0, w]));
    expect(of(all, 'response.output_item.added').map((d) => d.output_index)).toEqual([0, 1]);
    const completed = all.at(-1)?.response as { output: unknown[]; usage: { output_tokens_details: { reasoning_tokens: number } } };
    expect(completed.output).toEqual(of(all, 'response.output_item.done').map((d) => d.item));
    expect(completed.usage.output_tokens_details.reasoning_tokens).toBe(countTokens(summary));
  });

  it('a tool call over Bedrock: a function_call item (fc_, the upstream call id, the name, arguments ""), argument deltas, .done with the name, completed', async () => {
    const all = await stream({ model: 'bedrock', tools: TOOLS, input: 'Please call the tool' });
    expect(shape(all)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.function_call_arguments.delta', 'response.function_call_arguments.done', 'response.output_item.done', 'response.completed']);
    const item = of(all, 'response.output_item.added')[0]?.item as { id: string; call_id: string };
    expect(item).toEqual({ id: expect.stringMatching(/^fc_/), type: 'function_call', status: 'in_progress', call_id: expect.stringMatching(/\S/), name: 'lookup', arguments: '' });
    const args = JSON.stringify({ query: 'Please call the tool' });
    expect(of(all, 'response.function_call_arguments.delta').map((d) => d.delta).join('')).toBe(args);
    expect(of(all, 'response.function_call_arguments.done')[0]).toEqual({ type: 'response.function_call_arguments.done', sequence_number: all.length - 3, item_id: item.id, output_index: 0, name: 'lookup', arguments: args });
    expect(of(all, 'response.output_item.done')[0]?.item).toEqual({ ...item, status: 'completed', arguments: args });
    const final = await client.responses.stream({ model: 'bedrock', tools: TOOLS, input: 'Please call the tool' }).finalResponse();
    expect(final.output).toEqual([expect.objectContaining({ type: 'function_call', name: 'lookup', arguments: args })]);
  });

  it("an OpenAI upstream's refusal: the message's refusal part, refusal.delta per piece, refusal.done, completed", async () => {
    const all = await stream({ model: 'openai', input: 'Please refuse to answer.' });
    expect(shape(all)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.refusal.delta',
      'response.refusal.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(of(all, 'response.content_part.added')[0]?.part).toEqual({ type: 'refusal', refusal: '' });
    expect(of(all, 'response.refusal.delta').map((d) => d.delta)).toEqual(words(REFUSAL_TEXT));
    expect(of(all, 'response.refusal.done')[0]).toMatchObject({ output_index: 0, content_index: 0, refusal: REFUSAL_TEXT });
    expect((all.at(-1)?.response as { status: string }).status).toBe('completed');
  });

  it('a max_output_tokens stop over Gemini: the message incomplete, then response.incomplete with reason max_output_tokens', async () => {
    const all = await stream({ model: 'gemini', max_output_tokens: 16, input: 'hi there my friend how are you doing today' });
    expect(shape(all)).toEqual(['response.created', 'response.in_progress', ...MESSAGE_EVENTS, 'response.incomplete']);
    expect(of(all, 'response.output_item.done')[0]?.item).toMatchObject({ status: 'incomplete' });
    const text = of(all, 'response.output_text.done')[0]?.text as string;
    expect(all.at(-1)?.response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, error: null, usage: { output_tokens: countTokens(text) } });
  });

  it.each([
    ['an upstream error event', 'bedrock', { stream_error_after_chunks: 2 }, /server error mid-stream/],
    ['a connection cut', 'gemini', { cut_after_chunks: 2 }, /stream ended before it finished: the upstream (closed|reset) the connection after \d+ bytes/],
  ] as const)('%s after content over %s: the deltas sent, an error event, then response.failed holding the message cut short; the SDK raises', async (_name, upstream, fault, message) => {
    door.faultsOf(upstream).add({ ...fault, count: 1 });
    const all = await stream({ model: upstream, input: 'hi' });
    expect(shape(all)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added', 'response.output_text.delta', 'error', 'response.failed']);
    const error = { type: 'server_error', code: 'server_error', message: expect.stringMatching(message), param: null };
    expect(of(all, 'error')[0]).toEqual({ type: 'error', sequence_number: all.length - 2, code: 'server_error', message: expect.stringMatching(message), param: null, error });
    const failed = all.at(-1)?.response as Record<string, unknown>;
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'server_error', message: expect.stringMatching(message) }, usage: null });
    expect(failed.output).toEqual([{ id: expect.stringMatching(/^msg_/), type: 'message', status: 'incomplete', role: 'assistant', content: [{ type: 'output_text', text: 'Hello from ', annotations: [], logprobs: [] }] }]);
    door.faultsOf(upstream).add({ ...fault, count: 1 });
    await expect(client.responses.stream({ model: upstream, input: 'hi' }).finalResponse()).rejects.toBeInstanceOf(OpenAI.APIError);
  });
});
