import { describe, expect, it } from 'vitest';
import type { ChatRequest } from './types.js';
import { longestCacheTtl } from './cache-ttl.js';

const base: ChatRequest = { model: 'claude', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] };

describe('the longest prompt-cache ttl a request asks for (what budget admission prices its prompt at)', () => {
  it('is undefined without cache hints, and five minutes for a hint without a ttl', () => {
    expect(longestCacheTtl(base)).toBeUndefined();
    expect(longestCacheTtl({ ...base, cacheControl: { type: 'ephemeral' } })).toBe('5m');
  });

  it("is one hour when any hint asks for it: a system block's, a tool's, a tool result's or the automatic one", () => {
    const oneHour = { type: 'ephemeral', ttl: '1h' } as const;
    const fiveMinutes = { type: 'ephemeral', ttl: '5m' } as const;
    expect(longestCacheTtl({ ...base, messages: [{ role: 'system', content: [{ type: 'text', text: 's', cacheControl: oneHour }] }, ...base.messages], cacheControl: fiveMinutes })).toBe('1h');
    expect(longestCacheTtl({ ...base, tools: [{ name: 't', cacheControl: oneHour }], cacheControl: fiveMinutes })).toBe('1h');
    expect(longestCacheTtl({ ...base, messages: [...base.messages, { role: 'tool', toolCallId: 'c', content: [{ type: 'text', text: 'r', cacheControl: oneHour }] }, { role: 'user', content: [{ type: 'text', text: 'more', cacheControl: fiveMinutes }] }] })).toBe('1h');
    expect(longestCacheTtl({ ...base, cacheControl: oneHour })).toBe('1h');
  });
});
