import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import { decodeMessagesRequest } from './decode-request.js';

/*
 * Automatic caching (Anthropic's prompt-caching guide): a top-level cache_control puts one breakpoint
 * on the last cacheable block. The door takes it as the API does and refuses what the API refuses.
 */

const hi = [{ role: 'user', content: 'hi' }];
const base = { model: 'm', max_tokens: 8, messages: hi };
const marked = (ttl?: '5m' | '1h') => ({ type: 'ephemeral', ...(ttl ? { ttl } : {}) });
const text = (t: string, ttl?: '5m' | '1h') => ({ type: 'text', text: t, cache_control: marked(ttl) });

/** The 400 a body gets, as [param, message], or 'accepted'. */
function refusal(body: unknown): [string | undefined, string] | 'accepted' {
  try {
    decodeMessagesRequest(body);
    return 'accepted';
  } catch (err) {
    if (!GatewayError.isInstance(err) || err.status !== 400) throw err;
    return [err.param, err.message];
  }
}

describe('the Messages door and a top-level cache_control (automatic caching)', () => {
  it("counts a tool_use block's cache_control among the breakpoints, as the API does", () => {
    const use = { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: {}, cache_control: marked('1h') }] };
    const result = { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'ok' }] };
    const four = { role: 'user', content: [text('a', '1h'), text('b', '1h'), text('c', '1h')] };
    expect(refusal({ ...base, messages: [four, use, result, ...hi], cache_control: marked('1h') })).toEqual(['cache_control', expect.stringMatching(/^cache_control: A maximum of 4 blocks with cache_control may be provided/)]);
    // Three marks and the tool_use's leave no fifth slot; three alone leave one.
    expect(refusal({ ...base, messages: [four, { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: {} }] }, result, ...hi], cache_control: marked('1h') })).toBe('accepted');
  });

  it('carries it on the canonical request, with its ttl when one is given', () => {
    expect(decodeMessagesRequest({ ...base, cache_control: { type: 'ephemeral' } }).request.cacheControl).toEqual({ type: 'ephemeral' });
    expect(decodeMessagesRequest({ ...base, cache_control: { type: 'ephemeral', ttl: '1h' } }).request.cacheControl).toEqual({ type: 'ephemeral', ttl: '1h' });
    expect(decodeMessagesRequest({ ...base, cache_control: null }).request).not.toHaveProperty('cacheControl');
    expect(decodeMessagesRequest(base).request).not.toHaveProperty('cacheControl');
  });

  it('is taken by count_tokens too, which the SDK sends it to', () => {
    expect(decodeMessagesRequest({ model: 'm', messages: hi, cache_control: { type: 'ephemeral' } }, true).request.cacheControl).toEqual({ type: 'ephemeral' });
  });

  it('refuses a type other than ephemeral and a ttl other than 5m or 1h, naming the parameter', () => {
    expect(refusal({ ...base, cache_control: { type: 'persistent' } })).toEqual(['cache_control.type', "cache_control.type: must be 'ephemeral'"]);
    expect(refusal({ ...base, cache_control: 'ephemeral' })).toEqual(['cache_control.type', "cache_control.type: must be 'ephemeral'"]);
    expect(refusal({ ...base, cache_control: { type: 'ephemeral', ttl: '24h' } })).toEqual(['cache_control.ttl', "cache_control.ttl: must be '5m' or '1h'"]);
  });

  it('takes one of the 4 breakpoint slots: refused beside 4 explicit breakpoints, taken beside 3', () => {
    const three = { ...base, system: [text('a'), text('b')], tools: [{ name: 'f', input_schema: { type: 'object' }, cache_control: marked() }], cache_control: marked() };
    expect(refusal(three)).toBe('accepted');
    const four = { ...three, system: [text('a'), text('b'), text('c')] };
    expect(refusal(four)).toEqual(['cache_control', expect.stringMatching(/^cache_control: A maximum of 4 blocks with cache_control may be provided, and the automatic breakpoint needs one of them; found 4/)]);
  });

  it('is a no-op on a last block already marked with the same ttl (no slot needed), and refused where its ttl differs', () => {
    const lastMarked = (ttl: '5m' | '1h') => [{ role: 'user', content: [text('q', ttl)] }];
    const full = { ...base, system: [text('a'), text('b'), text('c')], messages: lastMarked('5m'), cache_control: marked() };
    expect(refusal(full)).toBe('accepted');
    expect(refusal({ ...base, messages: lastMarked('1h'), cache_control: marked('1h') })).toBe('accepted');
    expect(refusal({ ...base, messages: lastMarked('1h'), cache_control: marked() })).toEqual(['cache_control.ttl', expect.stringContaining("has its own cache_control with ttl '1h'")]);
  });

  it('finds the last block as the API does: past thinking and empty text, a tool result being one block', () => {
    const signed = { type: 'thinking', thinking: 'Hmm.', signature: 'sig' };
    const prefill = [{ role: 'user', content: [text('q', '1h')] }, { role: 'assistant', content: [signed, { type: 'text', text: '' }] }];
    // The assistant turn has nothing cacheable: the breakpoint lands on the user's marked block.
    expect(refusal({ ...base, messages: prefill, cache_control: marked() })).toEqual(['cache_control.ttl', expect.stringContaining("ttl '1h'")]);
    const result = [
      { role: 'user', content: 'q' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: 'r', cache_control: marked('1h') }] },
    ];
    expect(refusal({ ...base, messages: result, cache_control: marked('1h') })).toBe('accepted');
    expect(refusal({ ...base, messages: result, cache_control: marked('5m') })).toEqual(['cache_control.ttl', expect.any(String)]);
  });

  it('refuses a one-hour automatic breakpoint after a five-minute one: a longer ttl must come first', () => {
    expect(refusal({ ...base, system: [text('rules', '5m')], cache_control: marked('1h') })).toEqual(['cache_control.ttl', expect.stringContaining('a longer ttl must come before a shorter one')]);
    expect(refusal({ ...base, system: [text('rules', '1h')], cache_control: marked('5m') })).toBe('accepted');
  });
});
