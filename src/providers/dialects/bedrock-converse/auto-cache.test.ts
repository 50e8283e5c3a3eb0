import { describe, expect, it } from 'vitest';
import type { CacheControl, ChatRequest, Message, Warning } from '../../../core/types.js';
import { encodeConverseRequest, type EncodeOptions } from './encode-request.js';

/*
 * Automatic caching (a request-level cache hint, Anthropic's top-level cache_control) on Converse, which
 * has no such field: a cache point right after the last cacheable block, where the Messages API would
 * put the breakpoint (Anthropic's prompt-caching guide), one of the request's 4 cache points.
 */

const SONNET_45 = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const HAIKU_35 = 'us.anthropic.claude-3-5-haiku-20241022-v1:0';
const CP = { cachePoint: { type: 'default' } };
const CP_1H = { cachePoint: { type: 'default', ttl: '1h' } };
const AUTO: CacheControl = { type: 'ephemeral' };
const text = (t: string, cacheControl?: CacheControl) => (cacheControl ? { type: 'text' as const, text: t, cacheControl } : { type: 'text' as const, text: t });
const user = (t: string): Message => ({ role: 'user', content: [text(t)] });

function encode(r: Partial<ChatRequest>, opts: Partial<EncodeOptions> = {}): { body: ReturnType<typeof encodeConverseRequest>; warnings: Warning[] } {
  const warnings: Warning[] = [];
  const body = encodeConverseRequest({ model: 'm', messages: [user('x')], cacheControl: AUTO, ...r }, { model: SONNET_45, warnings, ...opts });
  return { body, warnings };
}

describe('a request-level cache hint on Bedrock Converse', () => {
  it('becomes a cache point right after the last block of the conversation, and no top-level field', () => {
    const { body, warnings } = encode({ messages: [{ role: 'system', content: [text('Rules.')] }, user('first'), { role: 'assistant', content: [text('answer')] }, user('second')] });
    expect(body.messages.at(-1)).toEqual({ role: 'user', content: [{ text: 'second' }, CP] });
    expect(body.system).toEqual([{ text: 'Rules.' }]);
    expect(Object.keys(body)).not.toContain('cache_control');
    expect(warnings).toEqual([]);
  });

  it('goes after a final tool result, and walks back past reasoning, which cannot carry one', () => {
    const call: Message = { role: 'assistant', content: [{ type: 'tool-call', id: 't', name: 'f', arguments: '{}' }] };
    const { body } = encode({ messages: [user('q'), call, { role: 'tool', toolCallId: 't', content: [text('r')] }], tools: [{ name: 'f' }] });
    expect(body.messages.at(-1)?.content).toEqual([{ toolResult: { toolUseId: 't', content: [{ text: 'r' }] } }, CP]);
    const thought: Message = { role: 'assistant', content: [text('Sure.'), { type: 'reasoning', text: 'Hmm.', signature: 's', provider: 'anthropic' }] };
    const prefill = encode({ messages: [user('q'), thought] }, { model: HAIKU_35 }).body;
    expect(prefill.messages.at(-1)?.content).toEqual([{ text: 'Sure.' }, CP, { reasoningContent: { reasoningText: { text: 'Hmm.', signature: 's' } } }]);
  });

  it('is a no-op where the last block already ends with a cache point', () => {
    const { body } = encode({ messages: [{ role: 'user', content: [text('q', { type: 'ephemeral' })] }] });
    expect(body.messages).toEqual([{ role: 'user', content: [{ text: 'q' }, CP] }]);
  });

  it('keeps its one-hour ttl on a model that keeps cache points an hour, and the deployment\'s system point lasts as long', () => {
    const { body } = encode({ messages: [{ role: 'system', content: [text('Rules.')] }, user('q')], cacheControl: { type: 'ephemeral', ttl: '1h' } }, { cacheSystemPrompt: true });
    expect(body.messages[0]?.content).toEqual([{ text: 'q' }, CP_1H]);
    expect(body.system).toEqual([{ text: 'Rules.' }, CP_1H]);
  });

  it('is a five-minute point, with a warning, on a model that keeps none an hour', () => {
    const { body, warnings } = encode({ cacheControl: { type: 'ephemeral', ttl: '1h' } }, { model: HAIKU_35 });
    expect(body.messages[0]?.content).toEqual([{ text: 'x' }, CP]);
    expect(warnings).toEqual([expect.objectContaining({ setting: 'cacheControl', message: expect.stringContaining('five-minute') })]);
  });

  it('is not sent, with a warning, where the request already holds 4 cache points (the deployment\'s system point counts)', () => {
    const hinted = { type: 'ephemeral' as const };
    const messages: Message[] = [{ role: 'system', content: [text('a', hinted), text('b')] }, { role: 'user', content: [text('c', hinted), text('d', hinted), text('q')] }];
    const { body, warnings } = encode({ messages }, { cacheSystemPrompt: true });
    expect(body.messages[0]?.content).toEqual([{ text: 'c' }, CP, { text: 'd' }, CP, { text: 'q' }]);
    expect(body.system).toEqual([{ text: 'a' }, CP, { text: 'b' }, CP]);
    expect(warnings).toEqual([expect.objectContaining({ type: 'unsupported-setting', setting: 'cacheControl', message: expect.stringContaining('at most 4 cache points') })]);
    expect(encode({ messages }).body.messages[0]?.content).toEqual([{ text: 'c' }, CP, { text: 'd' }, CP, { text: 'q' }, CP]);
  });

  it('is not sent, with a warning, to a model without prompt caching (Bedrock refuses cache points there)', () => {
    const { body, warnings } = encode({}, { model: 'meta.llama3-70b-instruct-v1:0' });
    expect(body.messages).toEqual([{ role: 'user', content: [{ text: 'x' }] }]);
    expect(warnings).toEqual([expect.objectContaining({ setting: 'cacheControl', message: expect.stringContaining('takes no cache points') })]);
  });

  it('reaches Amazon Nova, which takes cache points in messages', () => {
    expect(encode({}, { model: 'amazon.nova-pro-v1:0' }).body.messages[0]?.content).toEqual([{ text: 'x' }, CP]);
  });
});
