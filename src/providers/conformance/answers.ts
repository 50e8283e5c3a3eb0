import { expect, it } from 'vitest';
import type OpenAI from 'openai';
import { ask, PIXEL, SECOND_TOOL, TOOL, type ConformanceSuite } from './suite.js';

/** Whole answers: text, system prompts, turns, tool calls, images, stop and length, embeddings. */
export function answerSpecs(s: ConformanceSuite): void {
  it('answers a plain prompt with text, stop and usage', async () => {
    const r = await s.client.chat.completions.create({ model: 'conf', messages: ask('Hello there') });
    expect(r.choices[0]?.message.content).toContain('You said: Hello there');
    expect(r.choices[0]?.finish_reason).toBe('stop');
    expect(r.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(r.usage?.completion_tokens).toBeGreaterThan(0);
    expect(r.usage?.total_tokens).toBe((r.usage?.prompt_tokens ?? 0) + (r.usage?.completion_tokens ?? 0));
  });

  it('passes a system prompt', async () => {
    const withSystem = await s.client.chat.completions.create({
      model: 'conf',
      messages: [{ role: 'system', content: 'You are a terse assistant with a long system prompt.' }, ...ask('Hi')],
    });
    const without = await s.client.chat.completions.create({ model: 'conf', messages: ask('Hi') });
    expect(withSystem.choices[0]?.message.content).toContain('You said: Hi');
    expect(withSystem.usage?.prompt_tokens).toBeGreaterThan(without.usage?.prompt_tokens ?? 0);
  });

  it('answers the last turn of a multi-turn conversation', async () => {
    const r = await s.client.chat.completions.create({
      model: 'conf',
      messages: [
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: 'first answer' },
        { role: 'user', content: 'second question' },
      ],
    });
    expect(r.choices[0]?.message.content).toContain('You said: second question');
  });

  it('passes an image', async () => {
    const r = await s.client.chat.completions.create({
      model: 'conf',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: PIXEL } }] }],
    });
    expect(r.choices[0]?.message.content).toContain('I see 1 image(s)');
  });

  it('honours a stop sequence', async () => {
    const r = await s.client.chat.completions.create({ model: 'conf', messages: ask('stop here'), stop: ['said'] });
    expect(r.choices[0]?.message.content).not.toContain('said');
    expect(r.choices[0]?.finish_reason).toBe('stop');
  });

  it('reports finish_reason length when max tokens is hit', async () => {
    const r = await s.client.chat.completions.create({ model: 'conf', messages: ask('a long answer please'), max_tokens: 3 });
    expect(r.choices[0]?.finish_reason).toBe('length');
    expect(r.usage?.completion_tokens).toBeLessThanOrEqual(3);
  });

  it('creates embeddings when the provider has them', async (ctx) => {
    if (!s.setup.embeddingDeployment) return ctx.skip();
    const r = await s.client.embeddings.create({ model: 'embed', input: ['alpha', 'beta'] });
    expect(r.data).toHaveLength(2);
    expect(r.data[0]?.embedding.length).toBeGreaterThan(0);
    expect(r.data[0]?.embedding).not.toEqual(r.data[1]?.embedding);
    expect(r.usage.prompt_tokens).toBeGreaterThan(0);
  });
}

/** Tool calls: the call comes back whole, and its result leads to the next answer. */
export function toolCallSpecs(s: ConformanceSuite): void {
  /** The conversation after the model called `call` for `prompt` and the tool answered `result`, sent on. */
  const afterToolResult = (prompt: string, call: OpenAI.Chat.ChatCompletionMessageToolCall, result: string, ...more: OpenAI.Chat.ChatCompletionMessageParam[]) =>
    s.client.chat.completions.create({
      model: 'conf',
      tools: [TOOL],
      messages: [...ask(prompt), { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: call.id, content: result }, ...more],
    });

  it('round-trips a tool call', async () => {
    const first = await s.client.chat.completions.create({ model: 'conf', messages: ask('Please call the tool for cats'), tools: [TOOL] });
    const choice = first.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    const call = choice?.message.tool_calls?.[0];
    expect(call?.type).toBe('function');
    if (call?.type !== 'function') throw new Error('expected a function tool call');
    expect(call.function.name).toBe('lookup');
    expect(JSON.parse(call.function.arguments)).toEqual({ query: 'Please call the tool for cats' });
    const second = await afterToolResult('Please call the tool for cats', call, 'cats are great');
    expect(second.choices[0]?.message.content).toContain('The tool said: cats are great');
    expect(second.choices[0]?.finish_reason).toBe('stop');
  });

  it('answers a new question that follows a tool result', async () => {
    const first = await s.client.chat.completions.create({ model: 'conf', messages: ask('Please call the tool for dogs'), tools: [TOOL] });
    const call = first.choices[0]?.message.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error('expected a function tool call');
    const r = await afterToolResult('Please call the tool for dogs', call, 'dogs are loyal', { role: 'user', content: 'and cats?' });
    expect(r.choices[0]?.message.content).toContain('You said: and cats?');
  });

  it('returns parallel tool calls whole, each with its own id, and answers their results sent back together', async () => {
    const prompt = 'Please call both tools for Paris';
    const first = await s.client.chat.completions.create({ model: 'conf', messages: ask(prompt), tools: [TOOL, SECOND_TOOL] });
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    const calls = (first.choices[0]?.message.tool_calls ?? []).flatMap((c) => (c.type === 'function' ? [c] : []));
    expect(calls.map((c) => c.function.name)).toEqual(['lookup', 'weather']);
    expect(calls.map((c) => JSON.parse(c.function.arguments) as unknown)).toEqual([{ query: prompt }, { query: prompt }]);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
    const results = calls.map((c, i) => ({ role: 'tool' as const, tool_call_id: c.id, content: i === 0 ? 'museums' : 'sunny' }));
    const second = await s.client.chat.completions.create({
      model: 'conf',
      tools: [TOOL, SECOND_TOOL],
      messages: [...ask(prompt), { role: 'assistant', content: null, tool_calls: calls }, ...results],
    });
    expect(second.choices[0]?.message.content).toContain('The tool said: museums; sunny');
    expect(second.choices[0]?.finish_reason).toBe('stop');
  });
}
