import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeUsage, type ChatResponse } from '../../core/types.js';
import { decodeResponsesRequest } from './decode.js';
import { encodeResponsesUsage, outputItems, responseObject, ResponseIds, type ReasoningShown } from './encode.js';

const answer = (content: ChatResponse['content'], finishReason: ChatResponse['finishReason'] = 'stop'): ChatResponse => ({
  id: 'up',
  model: 'm',
  created: 0,
  content,
  finishReason,
  usage: makeUsage({ prompt: 1, completion: 1 }),
});

/** A request with `reasoning.summary` set, with and without `include: ["reasoning.encrypted_content"]`. */
const SUMMARIES: ReasoningShown = { encrypted: false, summaries: true };
const SHOWN_ALL: ReasoningShown = { encrypted: true, summaries: true };

const REASONED: ChatResponse['content'] = [
  { type: 'reasoning', text: 'Plan.', signature: 'sig', provider: 'anthropic' },
  { type: 'redacted-reasoning', data: 'opaque', provider: 'anthropic' },
  { type: 'text', text: 'Calling ' },
  { type: 'text', text: 'now.' },
  { type: 'tool-call', id: 'c1', name: 'f', arguments: '{}' },
];

describe('Responses output items', () => {
  it('writes the parts in order: a reasoning item per reasoning part (redacted reasoning too, summary: []), one message per run of text, a function_call per call', () => {
    expect(outputItems(answer(REASONED, 'tool_calls'), new ResponseIds('abc'), SUMMARIES)).toEqual([
      { id: 'rs_abc01', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Plan.' }] },
      { id: 'rs_abc02', type: 'reasoning', summary: [] },
      { id: 'msg_abc03', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Calling now.', annotations: [], logprobs: [] }] },
      { id: 'fc_abc04', type: 'function_call', status: 'completed', call_id: 'c1', name: 'f', arguments: '{}' },
    ]);
  });

  it('seals signatures and redacted reasoning into encrypted_content when asked, and they decode back to the same parts', () => {
    const items = outputItems(answer(REASONED, 'tool_calls'), new ResponseIds('abc'), SHOWN_ALL);
    expect(items.slice(0, 2)).toMatchObject([
      { type: 'reasoning', summary: [{ type: 'summary_text', text: 'Plan.' }], encrypted_content: expect.stringMatching(/^swy1\./) },
      { type: 'reasoning', summary: [], encrypted_content: expect.stringMatching(/^swy1\./) },
    ]);
    const again = decodeResponsesRequest({ model: 'm', input: [{ role: 'user', content: 'hi' }, ...items, { type: 'function_call_output', call_id: 'c1', output: 'ok' }] });
    expect(again.input[1]).toEqual({
      role: 'assistant',
      content: [REASONED[0], REASONED[1], { type: 'text', text: 'Calling now.' }, REASONED[4]],
    });
  });

  it('without reasoning.summary, writes each reasoning item with summary: [] as the API does, its encrypted content only when asked', () => {
    expect(outputItems(answer(REASONED, 'tool_calls'), new ResponseIds('abc'), { encrypted: false, summaries: false }).slice(0, 3)).toEqual([
      { id: 'rs_abc01', type: 'reasoning', summary: [] },
      { id: 'rs_abc02', type: 'reasoning', summary: [] },
      { id: 'msg_abc03', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Calling now.', annotations: [], logprobs: [] }] },
    ]);
    const items = outputItems(answer(REASONED, 'tool_calls'), new ResponseIds('abc'), { encrypted: true, summaries: false });
    expect(items.slice(0, 2)).toEqual([
      { id: 'rs_abc01', type: 'reasoning', summary: [], encrypted_content: expect.stringMatching(/^swy1\./) },
      { id: 'rs_abc02', type: 'reasoning', summary: [], encrypted_content: expect.stringMatching(/^swy1\./) },
    ]);
    // Handed back, the reasoning gets its text from the encrypted content: Claude refuses a signature without the text it signs.
    const again = decodeResponsesRequest({ model: 'm', input: [{ role: 'user', content: 'hi' }, ...items, { type: 'function_call_output', call_id: 'c1', output: 'ok' }] });
    expect(again.input[1]?.content).toEqual([REASONED[0], REASONED[1], { type: 'text', text: 'Calling now.' }, REASONED[4]]);
  });

  it('writes a signature with no reasoning text (a Gemini thought signature) as an item with summary: [], its encrypted content only when asked', () => {
    const parts: ChatResponse['content'] = [{ type: 'text', text: 'Hi.' }, { type: 'reasoning', text: '', signature: 'gsig', provider: 'google' }];
    expect(outputItems(answer(parts), new ResponseIds('abc'), SUMMARIES)[1]).toEqual({ id: 'rs_abc02', type: 'reasoning', summary: [] });
    // Reasoning with neither text nor a signature is nothing: no item.
    expect(outputItems(answer([{ type: 'reasoning', text: '' }, ...parts.slice(0, 1)]), new ResponseIds('abc'), SHOWN_ALL).map((i) => i.type)).toEqual(['message']);
    const items = outputItems(answer(parts), new ResponseIds('abc'), SHOWN_ALL);
    expect(items[1]).toEqual({ id: 'rs_abc02', type: 'reasoning', summary: [], encrypted_content: expect.stringMatching(/^swy1\./) });
    const again = decodeResponsesRequest({ model: 'm', input: [{ role: 'user', content: 'hi' }, ...items, { role: 'user', content: 'more' }] });
    expect(again.input[1]).toEqual({ role: 'assistant', content: [{ type: 'text', text: 'Hi.' }, { type: 'reasoning', text: '', signature: 'gsig', provider: 'google' }] });
  });

  it('gives an answer without text or calls its empty message, and marks a cut one incomplete', () => {
    expect(outputItems(answer([{ type: 'reasoning', text: 'Hm.' }], 'length'), new ResponseIds('abc'), SUMMARIES)).toEqual([
      { id: 'rs_abc01', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Hm.' }] },
      { id: 'msg_abc02', type: 'message', status: 'incomplete', role: 'assistant', content: [{ type: 'output_text', text: '', annotations: [], logprobs: [] }] },
    ]);
  });

  it("writes a refusal as the message's refusal part, completed, as OpenAI does (no empty output_text)", () => {
    const declined = { ...answer([]), refusal: "I'm sorry, I can't help with that." };
    expect(outputItems(declined, new ResponseIds('abc'), SUMMARIES)).toEqual([
      { id: 'msg_abc01', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'refusal', refusal: "I'm sorry, I can't help with that." }] },
    ]);
    const after = outputItems({ ...answer([{ type: 'text', text: 'Well.' }]), refusal: 'No.' }, new ResponseIds('abc'), SUMMARIES);
    expect(after).toEqual([
      { id: 'msg_abc01', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Well.', annotations: [], logprobs: [] }, { type: 'refusal', refusal: 'No.' }] },
    ]);
  });

  it('marks the items of a filtered answer incomplete, as its stream does', () => {
    const items = outputItems(answer([{ type: 'text', text: 'Once upon' }], 'content_filter'), new ResponseIds('abc'), SUMMARIES);
    expect(items.map((i) => (i as { status?: string }).status)).toEqual(['incomplete']);
  });
});

describe('encodeResponsesUsage', () => {
  it("writes OpenAI's usage with cache reads and writes in input_tokens_details (writes were lost)", () => {
    const usage = encodeResponsesUsage(makeUsage({ prompt: 100, completion: 20, cachedRead: 30, cachedWrite: 16, reasoning: 5 }));
    expect(usage).toEqual({ input_tokens: 100, input_tokens_details: { cached_tokens: 30, cache_write_tokens: 16 }, output_tokens: 20, output_tokens_details: { reasoning_tokens: 5 }, total_tokens: 120 });
  });
});

describe('the Response object', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const frame = (body: Record<string, unknown>) => ({ id: 'resp_1', createdAt: 100, model: 'chat', echo: decodeResponsesRequest({ model: 'chat', input: 'Hi', ...body }).echo, stored: false });

  it('has every key OpenAI always sends, in its order, with its defaults for what the request left out', () => {
    vi.useFakeTimers({ now: 107_500 });
    const done = responseObject(frame({}), { status: 'completed', incomplete_details: null }, [], null);
    expect(Object.keys(done)).toEqual([
      'id', 'object', 'created_at', 'status', 'background', 'completed_at', 'error', 'incomplete_details', 'instructions', 'max_output_tokens', 'model', 'output',
      'parallel_tool_calls', 'previous_response_id', 'reasoning', 'service_tier', 'store', 'temperature', 'text', 'tool_choice', 'tools', 'top_logprobs', 'top_p',
      'truncation', 'usage', 'user', 'metadata',
    ]);
    expect(done).toMatchObject({ completed_at: 107, service_tier: null, temperature: 1, top_p: 1, top_logprobs: 0, user: null });
  });

  it('echoes the temperature, top_p and user the request gave, and completed_at only once completed', () => {
    const f = frame({ temperature: 0.2, top_p: 0.9, user: 'u-1' });
    expect(responseObject(f, { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } }, [], null)).toMatchObject({ completed_at: null, temperature: 0.2, top_p: 0.9, user: 'u-1' });
    expect(responseObject(f, { status: 'in_progress', incomplete_details: null }, [], null).completed_at).toBeNull();
    expect(responseObject(f, { status: 'failed', incomplete_details: null, error: { code: 'server_error', message: 'x' } }, [], null).completed_at).toBeNull();
  });
});
