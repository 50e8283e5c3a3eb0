import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import type { SimServer } from '../../sim/server.js';
import { startOpenAIFront, type OpenAIFront } from '../testing/openai-front.js';

/*
 * OpenAI's reasoning efforts above 'high' through both OpenAI doors, with the official SDK: 'xhigh'
 * (Codex CLI sends it) and 'max' are taken, sent to a model that takes them as asked, and lowered to
 * the highest a model takes, with a warning (the `x-switchyard-warnings` header names the setting), for one that does not (the simulator refuses them there,
 * as OpenAI does). Anything else is OpenAI's invalid_value.
 */

const KEY = 'sk-efforts';

describe('reasoning efforts above high', () => {
  let front: OpenAIFront;
  let sim: SimServer;
  let openai: OpenAI;
  const sent = (): unknown => (JSON.parse(sim.lastRequest?.body.toString() ?? '{}') as { reasoning_effort?: unknown }).reasoning_effort;

  beforeAll(async () => {
    front = await startOpenAIFront(KEY, {
      sol: { model: 'gpt-5.6-sol' },
      'five-two': { model: 'gpt-5.2' },
      o3: { model: 'o3' },
      'chat-latest': { model: 'gpt-5.3-chat-latest' },
      pro: { model: 'gpt-5.4-pro' },
    });
    ({ sim, openai } = front);
  });

  afterAll(() => front.close());

  it("takes reasoning_effort 'xhigh' and 'max' on the chat door and sends them to a model that takes them", async () => {
    for (const [model, effort] of [['five-two', 'xhigh'], ['sol', 'xhigh'], ['sol', 'max']] as const) {
      const { response } = await openai.chat.completions.create({ model, reasoning_effort: effort, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      expect([sent(), response.headers.get('x-switchyard-warnings')], `${model} ${effort}`).toEqual([effort, null]);
    }
  });

  it("takes reasoning.effort 'xhigh' and 'max' on the Responses door, echoing what was asked", async () => {
    const response = await openai.responses.create({ model: 'five-two', reasoning: { effort: 'xhigh' }, input: 'hi' });
    expect([sent(), response.reasoning?.effort]).toEqual(['xhigh', 'xhigh']);
    await openai.responses.create({ model: 'sol', reasoning: { effort: 'max' }, input: 'hi' });
    expect(sent()).toBe('max');
  });

  it('lowers an effort the model lacks to its highest, and says so in the warnings header', async () => {
    const { response } = await openai.chat.completions.create({ model: 'o3', reasoning_effort: 'xhigh', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(sent()).toBe('high');
    expect(response.headers.get('x-switchyard-warnings')).toBe('reasoning');
    const stream = await openai.responses.create({ model: 'five-two', reasoning: { effort: 'max' }, input: 'hi', stream: true });
    for await (const event of stream) void event;
    expect(sent()).toBe('xhigh');
  });

  it("keeps a model that takes few efforts answering: the gpt-5.x chat models get 'medium' and the pro models nothing below it, with a warning", async () => {
    // The simulator refuses these efforts on these models as OpenAI does: a mapping regression is a 400 here.
    const asks = [['chat-latest', 'low', 'medium'], ['chat-latest', 'high', 'medium'], ['pro', 'low', 'medium'], ['pro', 'minimal', 'medium'], ['pro', 'xhigh', 'xhigh']] as const;
    for (const [model, effort, expected] of asks) {
      const { data, response } = await openai.chat.completions.create({ model, reasoning_effort: effort, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      expect([sent(), data.choices[0]?.finish_reason], `${model} ${effort}`).toEqual([expected, 'stop']);
      expect(response.headers.get('x-switchyard-warnings'), `${model} ${effort}`).toBe(effort === expected ? null : 'reasoning');
    }
    const stream = await openai.chat.completions.create({ model: 'chat-latest', reasoning_effort: 'low', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect([sent(), text.length > 0]).toEqual(['medium', true]);
  });

  it("refuses an effort OpenAI does not know in OpenAI's words, on both doors", async () => {
    const chat = await openai.chat.completions.create({ model: 'sol', reasoning_effort: 'ultra' as 'max', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    const responses = await openai.responses.create({ model: 'sol', reasoning: { effort: 'ultra' as 'max' }, input: 'hi' }).catch((e: unknown) => e);
    for (const [error, param] of [[chat, 'reasoning_effort'], [responses, 'reasoning.effort']] as const) {
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({
        message: "Invalid value: 'ultra'. Supported values are: 'none', 'minimal', 'low', 'medium', 'high', 'xhigh', and 'max'.",
        param,
        code: 'invalid_value',
      });
    }
  });
});
