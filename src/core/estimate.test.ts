import { describe, expect, it } from 'vitest';
import { makeUsage, type ChatRequest } from './types.js';
import { embeddingPromptTokens, estimateAnswerTokens, estimatePromptTokens, withEstimatedUsage } from './estimate.js';

describe('token estimates', () => {
  it('count a prompt from every part: text, tool calls, reasoning, and a fixed cost per image and per file', () => {
    const req: ChatRequest = {
      model: 'm',
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'x'.repeat(8) }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'x'.repeat(4) },
            { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
            { type: 'file', source: { type: 'base64', mediaType: 'application/pdf', data: 'JVBERi0=' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'reasoning', text: 'x'.repeat(4) },
            { type: 'redacted-reasoning', data: 'opaque' },
            { type: 'tool-call', id: 'c', name: 'ab', arguments: 'cd' },
          ],
        },
        { role: 'tool', toolCallId: 'c', content: [{ type: 'text', text: 'x'.repeat(4) }] },
      ],
    };
    // 4 messages of 4 overhead; 2 + 1 + 2 + 1 text tokens; 85 for the image, 500 for the file.
    expect(estimatePromptTokens(req)).toBe(16 + 6 + 85 + 500);
    expect(estimatePromptTokens({ ...req, tools: [{ name: 'ab' }] })).toBe(16 + 6 + 85 + 500 + Math.ceil(JSON.stringify([{ name: 'ab' }]).length / 4));
  });

  it('count an answer from its text, reasoning and tool calls', () => {
    expect(estimateAnswerTokens([{ type: 'reasoning', text: 'four' }, { type: 'text', text: 'twelve chars' }, { type: 'tool-call', id: 'id', name: 'f', arguments: '{}x' }])).toBe(5);
    expect(estimateAnswerTokens([])).toBe(0);
  });

  it('count token-id embedding input exactly, one token per id, and texts at four characters a token', () => {
    expect(embeddingPromptTokens({ model: 'e', tokens: [[1, 2, 3], [4], Array.from({ length: 100 }, () => 9)] })).toBe(104);
    expect(embeddingPromptTokens({ model: 'e', input: ['x'.repeat(8), 'y'] })).toBe(3);
  });

  it('replace usage only where the upstream reported none', () => {
    const reported = { id: 'r', model: 'm', created: 0, content: [{ type: 'text' as const, text: 'abcd' }], finishReason: 'stop' as const, usage: makeUsage({ prompt: 1, completion: 1 }) };
    expect(withEstimatedUsage({ ...reported }, 50).usage).toEqual(makeUsage({ prompt: 1, completion: 1 }));
    expect(withEstimatedUsage({ ...reported, usageEstimated: true }, 50).usage).toEqual(makeUsage({ prompt: 50, completion: 1 }));
  });
});
