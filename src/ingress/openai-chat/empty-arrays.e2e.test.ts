import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { SimServer } from '../../sim/server.js';
import { startOpenAIFront, type OpenAIFront } from '../testing/openai-front.js';

/*
 * OpenAI's schema asks for at least one item in every list of a chat request (`messages`, `tools`,
 * `stop`, a message's `content` of any role, an assistant's `tool_calls`), and the API refuses an empty
 * one with a 400 of code `empty_array`. The door refuses them the same way, through the real server with
 * the official SDK, before any upstream is called: an empty list is not read as none.
 */

const KEY = 'sk-empty';
const CALL = { id: 'call_1', type: 'function' as const, function: { name: 'lookup', arguments: '{}' } };
const LOOKUP = { type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object' } } };

type Body = Omit<ChatCompletionCreateParamsNonStreaming, 'model'>;

const CASES: Array<[param: string, body: Body]> = [
  ['messages', { messages: [] }],
  ['tools', { messages: [{ role: 'user', content: 'Hi' }], tools: [] }],
  ['stop', { messages: [{ role: 'user', content: 'Hi' }], stop: [] }],
  ['messages[0].content', { messages: [{ role: 'system', content: [] }, { role: 'user', content: 'Hi' }] }],
  ['messages[0].content', { messages: [{ role: 'developer', content: [] }, { role: 'user', content: 'Hi' }] }],
  ['messages[1].content', { messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: [] }, { role: 'user', content: 'And?' }] }],
  ['messages[1].tool_calls', { messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello', tool_calls: [] }, { role: 'user', content: 'And?' }] }],
  ['messages[2].content', { messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: null, tool_calls: [CALL] }, { role: 'tool', tool_call_id: 'call_1', content: [] }], tools: [LOOKUP] }],
  ['messages[0].content', { messages: [{ role: 'user', content: [] }] }],
];

describe('empty lists in a chat request', () => {
  let front: OpenAIFront;
  let sim: SimServer;
  let openai: OpenAI;

  beforeAll(async () => {
    front = await startOpenAIFront(KEY);
    ({ sim, openai } = front);
  });

  afterAll(() => front.close());

  it.each(CASES)("refuses an empty '%s' as OpenAI does, code empty_array, without calling the upstream", async (param, body) => {
    const before = sim.stats.total;
    const err = await openai.chat.completions.create({ model: 'chat', ...body }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).error).toEqual({
      message: `Invalid '${param}': empty array. Expected an array with minimum length 1, but got an empty array instead.`,
      type: 'invalid_request_error',
      param,
      code: 'empty_array',
    });
    expect(sim.stats.total).toBe(before);
  });

  it('still answers the same conversations with their lists left out', async () => {
    const r = await openai.chat.completions.create({ model: 'chat', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }, { role: 'user', content: 'And?' }] });
    expect(r.choices[0]?.message.content).toMatch(/You said: And\?/);
  });
});
