import { describe, expect, it } from 'vitest';
import { ChunkEncoder } from './encode-response.js';

describe('ChunkEncoder', () => {
  it('writes the same JSON a plain serialisation would, role on the first chunk only', () => {
    const e = new ChunkEncoder('id"1', 'model\\x', 7);
    const base = { id: 'id"1', object: 'chat.completion.chunk', created: 7, model: 'model\\x' };
    expect(JSON.parse(e.encode({ type: 'text', delta: 'a"b\n' })!)).toEqual({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: 'a"b\n' }, logprobs: null, finish_reason: null }] });
    expect(JSON.parse(e.encode({ type: 'tool-call', index: 1, id: 't', name: 'f', argumentsDelta: '{' })!).choices[0].delta).toEqual({ tool_calls: [{ index: 1, id: 't', type: 'function', function: { arguments: '{', name: 'f' } }] });
    expect(JSON.parse(e.encode({ type: 'finish', finishReason: 'length' })!).choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: 'length' });
    const usage = JSON.parse(e.usage({ prompt: 1, completion: 2, cachedRead: 0, cachedWrite: 0, reasoning: 0, total: 3 }, { switchyard: { cost_usd: 1 } }));
    expect(usage).toMatchObject({ ...base, choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3, switchyard: { cost_usd: 1 } } });
    const first = new ChunkEncoder('i', 'm', 1);
    expect(JSON.parse(first.encode({ type: 'finish', finishReason: 'stop' })!).choices[0].delta).toEqual({ role: 'assistant' });
  });

  it('adds "usage":null to every chunk with choices when the client asked for usage, and none otherwise', () => {
    const withUsage = new ChunkEncoder('i', 'm', 1, true);
    for (const part of [{ type: 'text', delta: 'a' }, { type: 'reasoning', delta: 'r' }, { type: 'finish', finishReason: 'stop' }] as const) {
      const chunk = JSON.parse(withUsage.encode(part)!) as Record<string, unknown>;
      expect(chunk.usage).toBeNull();
      expect(Object.keys(chunk).at(-1)).toBe('usage');
    }
    expect(JSON.parse(new ChunkEncoder('i', 'm', 1).encode({ type: 'text', delta: 'a' })!)).not.toHaveProperty('usage');
  });

  it('writes reasoning as delta.reasoning_content and skips a bare signature', () => {
    const e = new ChunkEncoder('i', 'm', 1);
    expect(JSON.parse(e.encode({ type: 'reasoning', delta: 'think' })!).choices[0].delta).toEqual({ role: 'assistant', reasoning_content: 'think' });
    expect(e.encode({ type: 'reasoning', delta: '', signature: 'sig' })).toBeUndefined();
  });
});
