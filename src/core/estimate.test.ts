import { describe, expect, it } from 'vitest';
import { makeUsage, type ChatRequest } from './types.js';
import { embeddingPromptTokens, estimateAnswerTokens, estimatePrompt, estimatePromptTokens, withEstimatedUsage } from './estimate.js';

describe('token estimates', () => {
  it('count a prompt from every part: text, reasoning, tool calls and results with their ids, names, encrypted reasoning', () => {
    const req: ChatRequest = {
      model: 'm',
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'x'.repeat(8) }] },
        { role: 'user', name: 'abcd', content: [{ type: 'text', text: 'x'.repeat(4) }] },
        {
          role: 'assistant',
          content: [
            { type: 'reasoning', text: 'x'.repeat(4), signature: 'not read by the model' },
            { type: 'redacted-reasoning', data: 'opaque12' },
            { type: 'tool-call', id: 'c', name: 'ab', arguments: 'd' },
          ],
        },
        { role: 'tool', toolCallId: 'c', content: [{ type: 'text', text: 'x'.repeat(3) }] },
      ],
    };
    // 4 messages of 4 overhead; 8 + (4 + 4) + (4 + 8 + 4) + (1 + 3) = 36 characters, 9 tokens.
    expect(estimatePromptTokens(req)).toBe(16 + 9);
  });

  it('count what else the request sends upstream as prompt: tools, tool choice, the response format and its schema, stop sequences, passthrough fields', () => {
    const base: ChatRequest = { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] };
    const alone = estimatePromptTokens(base);
    const tools: ChatRequest['tools'] = [{ name: 'lookup', description: 'd'.repeat(400), parameters: { type: 'object', properties: { q: { type: 'string', enum: ['a', 'b'] }, n: { type: 'integer', maximum: 10 } } }, strict: true }];
    const schema = { type: 'object', description: 'p'.repeat(100_000), properties: { a: { type: 'string' } } };
    const responseFormat: ChatRequest['responseFormat'] = { type: 'json', name: 'answer', description: 'what to write', schema };
    const passthrough = { prediction: { type: 'content', content: 'q'.repeat(4_000) } };
    // About a quarter of each one's JSON length, without writing it.
    const near = (value: unknown) => Math.round(JSON.stringify(value).length / 4);
    expect(estimatePromptTokens({ ...base, tools }) - alone).toBeCloseTo(near(tools), -1);
    expect(estimatePromptTokens({ ...base, responseFormat }) - alone).toBeCloseTo(near(responseFormat), -1);
    expect(estimatePromptTokens({ ...base, responseFormat }) - alone).toBeGreaterThan(25_000);
    expect(estimatePromptTokens({ ...base, toolChoice: { type: 'tool', name: 'n'.repeat(400) } }) - alone).toBeGreaterThanOrEqual(100);
    expect(estimatePromptTokens({ ...base, stopSequences: ['s'.repeat(400), 't'.repeat(400)] }) - alone).toBe(200);
    expect(estimatePromptTokens({ ...base, passthrough }) - alone).toBeCloseTo(near(passthrough), -1);
  });

  it('count an image at what its detail costs at most, whatever its bytes: 85 at low detail, 1,600, 10,000 at original detail', () => {
    const image = (detail?: 'low' | 'high' | 'auto' | 'original', data = 'iVBORw0K'): ChatRequest => ({
      model: 'm',
      messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', mediaType: 'image/png', data }, ...(detail ? { detail } : {}) }] }],
    });
    expect(estimatePromptTokens(image('low'))).toBe(4 + 85);
    expect(estimatePromptTokens(image())).toBe(4 + 1_600);
    expect(estimatePromptTokens(image('high', 'A'.repeat(4_000_000)))).toBe(4 + 1_600);
    expect(estimatePromptTokens(image('auto'))).toBe(4 + 1_600);
    expect(estimatePromptTokens(image('original'))).toBe(4 + 10_000);
    const byUrl: ChatRequest = { model: 'm', messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }] }] };
    expect(estimatePromptTokens(byUrl)).toBe(4 + 1_600);
  });

  it('count an inline document by its size (a page of 3,000 tokens per 48 KB, never less than a page), text files as text, and a document by URL as ten pages', () => {
    const file = (mediaType: string, bytes: number): ChatRequest => ({
      model: 'm',
      messages: [{ role: 'user', content: [{ type: 'file', source: { type: 'base64', mediaType, data: 'A'.repeat((bytes / 3) * 4) } }] }],
    });
    expect(estimatePromptTokens(file('application/pdf', 3))).toBe(4 + 3_000);
    expect(estimatePromptTokens(file('application/pdf', 3 * 1024 * 1024))).toBe(4 + 196_608);
    expect(estimatePromptTokens(file('text/plain', 12_000))).toBe(4 + 3_000);
    expect(estimatePromptTokens(file('application/json', 120_000))).toBe(4 + 30_000);
    const byUrl: ChatRequest = { model: 'm', messages: [{ role: 'user', content: [{ type: 'file', source: { type: 'url', url: 'https://example.com/a.pdf', mediaType: 'application/pdf' } }] }] };
    expect(estimatePromptTokens(byUrl)).toBe(4 + 30_000);
  });

  it('floor every image at 85 tokens and every document at a 500-token page, for the context-window check', () => {
    const media: ChatRequest = {
      model: 'm',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'x'.repeat(400) },
            { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
            { type: 'file', source: { type: 'base64', mediaType: 'application/pdf', data: 'A'.repeat(400_000) } },
            { type: 'file', source: { type: 'base64', mediaType: 'text/plain', data: 'A'.repeat(400) } },
          ],
        },
      ],
    };
    expect(estimatePrompt(media)).toEqual({ tokens: 4 + 100 + 1_600 + 18_750 + 75, floor: 4 + 100 + 85 + 500 + 75 });
    // A text file is read as text: a 100,000-token one is 100,000 at the least too, as the same text in a message.
    const textFile: ChatRequest = { model: 'm', messages: [{ role: 'user', content: [{ type: 'file', source: { type: 'base64', mediaType: 'text/plain', data: 'A'.repeat(400_000) } }] }] };
    expect(estimatePrompt(textFile).floor).toBe(4 + 75_000);
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
