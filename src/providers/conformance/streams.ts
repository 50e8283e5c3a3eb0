import { expect, it } from 'vitest';
import type OpenAI from 'openai';
import { ask, SECOND_TOOL, TOOL, type ConformanceSuite } from './suite.js';

/** Streams: the same answer as whole, reasoning, tool-call arguments. */
export function streamSpecs(s: ConformanceSuite): void {
  it('streams the same text as the plain answer, with usage', async () => {
    const plain = await s.client.chat.completions.create({ model: 'conf', messages: ask('stream me') });
    const stream = await s.client.chat.completions.create({ model: 'conf', messages: ask('stream me'), stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(chunks).toBeGreaterThan(2);
    expect(text).toBe(plain.choices[0]?.message.content);
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBe(plain.usage?.completion_tokens);
    expect(usage?.prompt_tokens).toBe(plain.usage?.prompt_tokens);
  });

  it('returns and streams the reasoning, and counts its tokens', async () => {
    const messages = ask('Please think step by step about greetings');
    const plain = await s.client.chat.completions.create({ model: 'conf', messages });
    const reasoningTokens = plain.usage?.completion_tokens_details?.reasoning_tokens ?? 0;
    expect(reasoningTokens).toBeGreaterThan(0);
    expect(reasoningTokens).toBeLessThan(plain.usage?.completion_tokens ?? 0);
    const reasoningOf = (m: object): unknown => (m as { reasoning_content?: unknown }).reasoning_content;
    const message = plain.choices[0]?.message;
    if (!message) throw new Error('expected a message');
    expect(message.content).toContain('You said: Please think step by step');
    const stream = await s.client.chat.completions.create({ model: 'conf', messages, stream: true, stream_options: { include_usage: true } });
    let reasoning = '';
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta;
      if (delta) {
        const r = reasoningOf(delta);
        if (typeof r === 'string') {
          expect(text).toBe('');
          reasoning += r;
        }
        text += delta.content ?? '';
      }
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(message.content);
    expect(usage?.completion_tokens_details?.reasoning_tokens).toBe(reasoningTokens);
    if (s.setup.reasoning === 'tokens') {
      expect(reasoningOf(message)).toBeUndefined();
      expect(reasoning).toBe('');
      return;
    }
    expect(reasoningOf(message)).toMatch(/^The user wrote ".*think step by step.*"\. A short friendly reply will do\.$/);
    expect(reasoning).toBe(reasoningOf(message));
  });

  it('streams tool-call arguments', async () => {
    const stream = await s.client.chat.completions.create({ model: 'conf', messages: ask('Please call the tool now'), tools: [TOOL], stream: true });
    let args = '';
    let name: string | undefined;
    let finish: string | null = null;
    for await (const chunk of stream) {
      const tc = chunk.choices[0]?.delta.tool_calls?.[0];
      if (tc?.function?.name) name = tc.function.name;
      args += tc?.function?.arguments ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(name).toBe('lookup');
    expect(JSON.parse(args)).toEqual({ query: 'Please call the tool now' });
    expect(finish).toBe('tool_calls');
  });

  it('streams parallel tool calls apart by index, each named once with its whole arguments', async () => {
    const prompt = 'Please call both tools for Rome';
    const stream = await s.client.chat.completions.create({ model: 'conf', messages: ask(prompt), tools: [TOOL, SECOND_TOOL], stream: true });
    const calls = new Map<number, { id?: string; names: string[]; args: string }>();
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const tc of chunk.choices[0]?.delta.tool_calls ?? []) {
        const call = calls.get(tc.index) ?? { names: [], args: '' };
        if (tc.id) call.id = tc.id;
        if (tc.function?.name) call.names.push(tc.function.name);
        call.args += tc.function?.arguments ?? '';
        calls.set(tc.index, call);
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect([...calls.keys()].sort()).toEqual([0, 1]);
    expect([calls.get(0)?.names, calls.get(1)?.names]).toEqual([['lookup'], ['weather']]);
    for (const call of calls.values()) expect(JSON.parse(call.args)).toEqual({ query: prompt });
    expect(calls.get(0)?.id).toBeDefined();
    expect(calls.get(0)?.id).not.toBe(calls.get(1)?.id);
    expect(finish).toBe('tool_calls');
  });
}

/** Streams frame by frame: OpenAI's chunk shapes exactly, usage only when asked for. */
export function streamShapeSpecs(s: ConformanceSuite): void {
  /** The raw `data:` payloads of a streamed answer, [DONE] included, as the client receives them. */
  async function rawStream(body: Record<string, unknown>): Promise<string[]> {
    const res = await fetch(`${s.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'conf', stream: true, messages: ask('stream my shape'), ...body }),
    });
    expect(res.status).toBe(200);
    return (await res.text())
      .split('\n\n')
      .filter((f) => f.startsWith('data: '))
      .map((f) => f.slice('data: '.length));
  }

  it('streams the exact shape of OpenAI chunks with include_usage: usage null on each, the usage chunk last', async () => {
    const frames = await rawStream({ stream_options: { include_usage: true } });
    expect(frames.at(-1)).toBe('[DONE]');
    const chunks = frames.slice(0, -1).map((f) => JSON.parse(f) as { choices: unknown[]; usage?: unknown });
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number), total_tokens: expect.any(Number) });
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks.slice(0, -1)) {
      expect(c.choices).toHaveLength(1);
      expect(c.usage).toBeNull();
    }
  });

  it('streams no chunk with empty choices (nor extras) without include_usage', async () => {
    const frames = await rawStream({});
    expect(frames.at(-1)).toBe('[DONE]');
    for (const f of frames.slice(0, -1)) {
      const c = JSON.parse(f) as Record<string, unknown>;
      expect(c.choices).toHaveLength(1);
      expect(c).not.toHaveProperty('usage');
      expect(c).not.toHaveProperty('switchyard_extensions');
    }
  });
}
