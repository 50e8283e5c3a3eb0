import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import { makeUsage, type StreamPart } from '../../core/types.js';
import type { RouteContext } from '../../http/route.js';
import type { ServedBy } from '../../gateway/gateway.js';
import { MessagesStreamEncoder } from './stream.js';
import { stopOf, type AnswerAsked } from './encode-response.js';

const ctx = { requestId: '0000-1111', costOf: undefined, gateway: { config: { deployments: [] } } } as unknown as RouteContext;
const servedBy: ServedBy = { deployment: 'd', provider: 'p', region: undefined, model: 'm', group: undefined, attempts: 1, requestId: '0000-1111' };

/** The events an encoder writes for some parts, as [event, data] pairs. */
function events(parts: StreamPart[], asked: AnswerAsked = { model: 'claude', thinking: true, stopSequences: undefined }, promptEstimate?: number): Array<[string, unknown]> {
  const e = new MessagesStreamEncoder(ctx, servedBy, asked, promptEstimate);
  const text = parts.map((p) => e.part(p) ?? '').join('') + e.end().join('');
  return [...text.matchAll(/event: (.*)\ndata: (.*)\n\n/g)].map((m) => [m[1] as string, JSON.parse(m[2] as string)]);
}

describe('MessagesStreamEncoder', () => {
  it("says in a trailer when the usage is the gateway's estimate (the JSON answer's header), none when the upstream counted", () => {
    const parts = (estimated: boolean): StreamPart[] => [{ type: 'text', delta: 'Hi' }, { type: 'finish', finishReason: 'stop' }, { type: 'usage', usage: makeUsage({ prompt: 3, completion: 1 }), estimated }];
    for (const estimated of [true, false]) {
      const e = new MessagesStreamEncoder(ctx, servedBy, { model: 'claude', thinking: false, stopSequences: undefined });
      const text = parts(estimated).map((p) => e.part(p) ?? '').join('') + e.end().join('');
      expect(text).not.toContain('switchyard');
      expect(e.trailers()).toEqual(estimated ? { 'x-switchyard-usage-estimated': 'true' } : undefined);
    }
  });

  it('says in its trailers what a stream that broke was billed (its error carries it), the error event unchanged', () => {
    const priced: RouteContext = { ...ctx, costOf: (_served, usage) => ({ usd: (usage?.prompt ?? 0) / 1000, priced: true }) };
    const asked: AnswerAsked = { model: 'claude', thinking: false, stopSequences: undefined };
    const broken = new GatewayError({ kind: 'network', message: 'cut' });
    const billed = new MessagesStreamEncoder(priced, servedBy, asked);
    const untold = new MessagesStreamEncoder(priced, servedBy, asked);
    for (const e of [billed, untold]) e.part({ type: 'text', delta: 'Hi' });
    expect(billed.error(broken.withSpent({ usage: makeUsage({ prompt: 3000, completion: 4 }), estimated: true }))).toBe(untold.error(broken));
    expect(billed.trailers()).toEqual({ 'x-switchyard-cost-usd': '3.0', 'x-switchyard-usage-estimated': 'true' });
    expect(untold.trailers()).toBeUndefined();
  });

  it('opens a new tool_use block per tool call and streams arguments as input_json_delta', () => {
    const out = events([
      { type: 'tool-call', index: 0, id: 'a', name: 'f', argumentsDelta: '{"x":' },
      { type: 'tool-call', index: 0, argumentsDelta: '1}' },
      { type: 'tool-call', index: 1, id: 'b', name: 'g', argumentsDelta: '' },
      { type: 'finish', finishReason: 'tool_calls' },
      { type: 'usage', usage: makeUsage({ prompt: 10, completion: 4, cachedRead: 6 }) },
    ]);
    expect(out.map(([name]) => name)).toEqual([
      'message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_delta', 'content_block_stop',
      'content_block_start', 'content_block_stop', 'message_delta', 'message_stop',
    ]);
    expect(out[1]?.[1]).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'a', name: 'f', input: {} } });
    expect(out[4]?.[1]).toEqual({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '1}' } });
    expect(out[6]?.[1]).toMatchObject({ index: 1, content_block: { type: 'tool_use', id: 'b', name: 'g' } });
    expect(out[8]?.[1]).toEqual({
      type: 'message_delta',
      delta: { container: null, stop_reason: 'tool_use', stop_sequence: null, stop_details: null },
      usage: { input_tokens: 4, cache_creation_input_tokens: 0, cache_read_input_tokens: 6, output_tokens: 4, output_tokens_details: null, server_tool_use: null },
    });
  });

  it("streams an OpenAI upstream's refusal as Claude declines: a text block of text_deltas, then stop_reason refusal", () => {
    const out = events([
      { type: 'start', id: 'c', model: 'gpt' },
      { type: 'refusal', delta: "I'm sorry," },
      { type: 'refusal', delta: " I can't help with that." },
      { type: 'finish', finishReason: 'stop' },
      { type: 'usage', usage: makeUsage({ prompt: 10, completion: 8 }) },
    ]);
    expect(out.map(([name]) => name)).toEqual([
      'message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop',
    ]);
    expect(out[1]?.[1]).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    expect(out[3]?.[1]).toEqual({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: "I'm sorry," } });
    expect(out[4]?.[1]).toEqual({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: " I can't help with that." } });
    expect(out[6]?.[1]).toMatchObject({ type: 'message_delta', delta: { stop_reason: 'refusal', stop_sequence: null } });
  });

  it('writes reasoning as a thinking block with thinking and signature deltas, before the text', () => {
    const out = events([
      { type: 'reasoning', delta: 'hmm', provider: 'anthropic' },
      { type: 'reasoning', delta: '', signature: 'sig', provider: 'anthropic' },
      { type: 'text', delta: 'Hi' },
      { type: 'finish', finishReason: 'stop' },
    ]);
    expect(out.slice(1, 8)).toEqual([
      ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hmm' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'sig' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 0 }],
      ['content_block_start', { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }],
      ['ping', { type: 'ping' }],
      ['content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Hi' } }],
    ]);
  });

  it('starts a new thinking block after a signed one, writes redacted thinking whole, and ignores other provider metadata', () => {
    const out = events([
      { type: 'reasoning', delta: 'one', signature: 's1', provider: 'anthropic' },
      { type: 'reasoning', delta: 'two', signature: 's2', provider: 'anthropic' },
      { type: 'redacted-reasoning', data: 'opaque', provider: 'anthropic' },
      { type: 'provider-metadata', namespace: 'gemini', data: { stop_reason: 'x' } },
      { type: 'text', delta: 'Hi' },
      { type: 'provider-metadata', namespace: 'anthropic', data: { stop_reason: 'stop_sequence', stop_sequence: '###' } },
      { type: 'finish', finishReason: 'stop' },
    ]);
    const starts = out.filter(([name]) => name === 'content_block_start').map(([, data]) => (data as { content_block: unknown }).content_block);
    expect(starts).toEqual([
      { type: 'thinking', thinking: '', signature: '' },
      { type: 'thinking', thinking: '', signature: '' },
      { type: 'redacted_thinking', data: 'opaque' },
      { type: 'text', text: '' },
    ]);
    expect(out.map(([name]) => name).join(' ')).toBe(
      'message_start content_block_start content_block_delta content_block_delta content_block_stop content_block_start content_block_delta content_block_delta content_block_stop ' +
        'content_block_start content_block_stop content_block_start ping content_block_delta content_block_stop message_delta message_stop',
    );
    expect(out.at(-2)?.[1]).toMatchObject({ delta: { stop_reason: 'stop_sequence', stop_sequence: '###' } });
  });

  it('writes the reasoning of other upstreams as unsigned thinking, and their signatures and redacted data not at all', () => {
    const out = events([
      { type: 'reasoning', delta: 'hmm', provider: 'google' },
      { type: 'reasoning', delta: '', signature: 'gsig', provider: 'google' },
      { type: 'redacted-reasoning', data: 'opaque', provider: 'bedrock' },
      { type: 'text', delta: 'Hi' },
      { type: 'reasoning', delta: '', signature: 'late', provider: 'google' },
      { type: 'finish', finishReason: 'stop' },
    ]);
    expect(out.filter(([name]) => name.startsWith('content_block')).map(([, data]) => data)).toEqual([
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hmm' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Hi' } },
      { type: 'content_block_stop', index: 1 },
    ]);
  });

  it('ends a broken stream with an error event in Anthropic shape', () => {
    const e = new MessagesStreamEncoder(ctx, servedBy, { model: 'claude', thinking: false, stopSequences: undefined });
    e.part({ type: 'text', delta: 'Hi' });
    const frame = e.error(new GatewayError({ kind: 'overloaded', message: 'Upstream p is overloaded mid-stream.' }));
    expect(frame).toBe('event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Upstream p is overloaded mid-stream."}}\n\n');
  });

  it('opens with message_start even when the stream breaks before any part made a frame (a finish and usage before the content)', () => {
    const e = new MessagesStreamEncoder(ctx, servedBy, { model: 'claude', thinking: false, stopSequences: undefined }, 7);
    const before = [e.part({ type: 'usage', usage: makeUsage({ prompt: 9, completion: 3 }) }), e.part({ type: 'finish', finishReason: 'stop' })];
    const text = e.error(new GatewayError({ kind: 'bad_upstream_response', message: 'The upstream sent content after finishing its answer.' }));
    const out = [...text.matchAll(/event: (.*)\ndata: (.*)\n\n/g)].map((m) => [m[1] as string, JSON.parse(m[2] as string) as Record<string, unknown>] as const);
    expect(before).toEqual([undefined, undefined]);
    expect(out.map(([name]) => name)).toEqual(['message_start', 'error']);
    expect(out[0]?.[1]).toMatchObject({ type: 'message_start', message: { type: 'message', role: 'assistant', content: [], usage: { input_tokens: 7 } } });
    expect(out[1]?.[1]).toEqual({ type: 'error', error: { type: 'api_error', message: 'The upstream sent content after finishing its answer.' } });
  });
});

describe('stopOf', () => {
  it('maps canonical finish reasons and prefers an Anthropic upstream\'s own stop_sequence', () => {
    expect(['stop', 'length', 'tool_calls', 'content_filter'].map((f) => stopOf(f as 'stop', undefined).reason)).toEqual(['end_turn', 'max_tokens', 'tool_use', 'refusal']);
    expect(stopOf('stop', { stop_reason: 'stop_sequence', stop_sequence: '###' })).toEqual({ reason: 'stop_sequence', sequence: '###', details: null });
    expect(stopOf('stop', { stop_reason: 'made_up' })).toEqual({ reason: 'end_turn', sequence: null, details: null });
  });

  it("keeps an upstream's own stop_reason only when it says what the finish says: a tool_use whose calls never came is end_turn", () => {
    expect(stopOf('stop', { stop_reason: 'tool_use' })).toEqual({ reason: 'end_turn', sequence: null, details: null });
    expect(stopOf('tool_calls', { stop_reason: 'tool_use' })).toEqual({ reason: 'tool_use', sequence: null, details: null });
    expect(stopOf('stop', { stop_reason: 'pause_turn' })).toEqual({ reason: 'pause_turn', sequence: null, details: null });
    expect(stopOf('length', { stop_reason: 'model_context_window_exceeded' })).toEqual({ reason: 'model_context_window_exceeded', sequence: null, details: null });
    expect(stopOf('content_filter', { stop_reason: 'refusal' })).toEqual({ reason: 'refusal', sequence: null, details: null });
    const details = { type: 'refusal', category: 'bio', explanation: null };
    expect(stopOf('content_filter', { stop_reason: 'refusal', stop_details: details })).toEqual({ reason: 'refusal', sequence: null, details });
  });

  it('streams end_turn for a Claude upstream that said tool_use and sent no tool_use block (the relay made its finish a stop)', () => {
    const out = events([{ type: 'text', delta: 'Hi' }, { type: 'provider-metadata', namespace: 'anthropic', data: { stop_reason: 'tool_use', stop_sequence: null } }, { type: 'finish', finishReason: 'stop' }]);
    expect(out.find(([name]) => name === 'message_delta')?.[1]).toMatchObject({ delta: { stop_reason: 'end_turn', stop_sequence: null } });
  });
});

/** message_start's usage: the prompt's counts given, no output yet, and the fields the API always sends as null. */
const startUsage = (prompt: Record<string, unknown>): Record<string, unknown> => ({
  ...prompt,
  output_tokens: 0,
  output_tokens_details: null,
  server_tool_use: null,
  service_tier: null,
  inference_geo: null,
  speed: null,
});

describe('MessagesStreamEncoder and what the client asked', () => {
  it("writes message_start's usage with every field the API's has, counts unknown yet as 0", () => {
    const start = events([{ type: 'start' }, { type: 'text', delta: 'Hi' }]).find(([e]) => e === 'message_start');
    const message = (start?.[1] as { message: Record<string, unknown> }).message;
    expect(message.usage).toEqual(startUsage({ input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 } }));
    expect(Object.keys(message)).toEqual(['id', 'type', 'role', 'model', 'content', 'container', 'stop_reason', 'stop_sequence', 'stop_details', 'usage', 'diagnostics']);
    expect(message).toMatchObject({ container: null, stop_details: null, diagnostics: null });
  });

  it("states the gateway's prompt estimate in message_start when the upstream counts only at the end, and the upstream's count in message_delta", () => {
    const parts: StreamPart[] = [
      { type: 'start', id: 'c', model: 'gpt' },
      { type: 'text', delta: 'Hi' },
      { type: 'finish', finishReason: 'stop' },
      { type: 'usage', usage: makeUsage({ prompt: 10, completion: 2, cachedRead: 4 }) },
    ];
    const out = events(parts, { model: 'gpt', thinking: false, stopSequences: undefined }, 12);
    const start = out.find(([name]) => name === 'message_start')?.[1] as { message: { usage: unknown } };
    expect(start.message.usage).toEqual(startUsage({ input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 } }));
    const delta = out.find(([name]) => name === 'message_delta')?.[1] as { usage: unknown };
    expect(delta.usage).toMatchObject({ input_tokens: 6, cache_read_input_tokens: 4, cache_creation_input_tokens: 0, output_tokens: 2 });
  });

  it("prefers the upstream's own count in message_start over the gateway's estimate", () => {
    const out = events([{ type: 'start', prompt: { prompt: 9, cachedRead: 0, cachedWrite: 0 } }, { type: 'text', delta: 'Hi' }], undefined, 12);
    const start = out.find(([name]) => name === 'message_start')?.[1] as { message: { usage: { input_tokens: number } } };
    expect(start.message.usage.input_tokens).toBe(9);
  });

  it('writes the cache writes by TTL in message_start, as the API does, and keeps them out of message_delta', () => {
    const out = events([
      { type: 'start', prompt: { prompt: 100_010, cachedRead: 0, cachedWrite: 100_000, cachedWrite1h: 100_000 } },
      { type: 'text', delta: 'Hi' },
      { type: 'finish', finishReason: 'stop' },
      { type: 'usage', usage: makeUsage({ prompt: 100_010, completion: 10, cachedWrite: 100_000, cachedWrite1h: 100_000 }) },
    ]);
    const start = out.find(([e]) => e === 'message_start')?.[1] as { message: { usage: unknown } };
    expect(start.message.usage).toEqual(
      startUsage({ input_tokens: 10, cache_creation_input_tokens: 100_000, cache_read_input_tokens: 0, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 100_000 } }),
    );
    const delta = out.find(([e]) => e === 'message_delta')?.[1] as { usage: unknown };
    expect(delta.usage).toEqual({ input_tokens: 10, cache_creation_input_tokens: 100_000, cache_read_input_tokens: 0, output_tokens: 10, output_tokens_details: null, server_tool_use: null });
  });

  it('streams no thinking block unless the client enabled thinking', () => {
    const parts: StreamPart[] = [{ type: 'start' }, { type: 'reasoning', delta: 'Hm.' }, { type: 'text', delta: 'Hi.' }, { type: 'finish', finishReason: 'stop' }];
    const blocks = events(parts, { model: 'gpt', thinking: false, stopSequences: undefined }).filter(([e]) => e === 'content_block_start');
    expect(blocks.map(([, d]) => (d as { content_block: { type: string } }).content_block.type)).toEqual(['text']);
  });

  it("says stop_sequence in message_delta when Bedrock says one fired", () => {
    const parts: StreamPart[] = [{ type: 'start' }, { type: 'text', delta: 'He ' }, { type: 'finish', finishReason: 'stop' }, { type: 'provider-metadata', namespace: 'bedrock', data: { stopReason: 'stop_sequence' } }];
    const delta = events(parts, { model: 'bedrock', thinking: false, stopSequences: ['said'] }).find(([e]) => e === 'message_delta');
    expect(delta?.[1]).toMatchObject({ delta: { stop_reason: 'stop_sequence', stop_sequence: 'said' } });
  });
});
