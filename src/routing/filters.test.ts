import { describe, expect, it } from 'vitest';
import type { ChatRequest, FilePart, ImagePart } from '../core/types.js';
import { userRequest } from '../testing/canonical.js';
import { chatCapabilities, outputLimit, quotaTokens } from './filters.js';

const image: ImagePart = { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } };
const pdf: FilePart = { type: 'file', source: { type: 'base64', mediaType: 'application/pdf', data: 'JVBERi0=' }, filename: 'a.pdf' };

describe('what a chat request needs of its deployment', () => {
  it('asks nothing of a plain text request', () => {
    expect(chatCapabilities(userRequest('m', 'hi'), false)).toEqual([]);
  });

  it('needs tools, json, streaming, vision for any image part and files for any file part', () => {
    const req: ChatRequest = {
      model: 'm',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'read these' }, pdf] },
        { role: 'assistant', content: [{ type: 'tool-call', id: 'c1', name: 'shot', arguments: '{}' }] },
        { role: 'tool', toolCallId: 'c1', content: [image] },
      ],
      tools: [{ name: 'shot' }],
      responseFormat: { type: 'json' },
    };
    expect(chatCapabilities(req, true)).toEqual(['tools', 'json', 'streaming', 'vision', 'files']);
    expect(chatCapabilities({ ...req, tools: [], responseFormat: { type: 'text' } }, false)).toEqual(['vision', 'files']);
  });

  it('limits output by maxOutputTokens, named as the client named it, and counts it against quotas', () => {
    expect(outputLimit(userRequest('m', 'hi'))).toBeUndefined();
    expect(outputLimit(userRequest('m', 'hi', { maxOutputTokens: 64 }))).toEqual({ value: 64, param: 'maxOutputTokens' });
    expect(outputLimit(userRequest('m', 'hi', { maxOutputTokens: 64 }), 'max_tokens')).toEqual({ value: 64, param: 'max_tokens' });
    expect(quotaTokens({ capabilities: [], promptTokens: 10, residency: undefined, maxTokens: { value: 64, param: 'max_tokens' } })).toBe(74);
  });
});
