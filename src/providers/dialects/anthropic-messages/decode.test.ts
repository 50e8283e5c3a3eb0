import { describe, expect, it } from 'vitest';
import { countingJsonParse } from '../../testing/json-parses.js';
import { GatewayError } from '../../../core/errors.js';
import type { StreamPart, Warning } from '../../../core/types.js';
import type { SseEvent } from '../../sse.js';
import { decodeMessagesResponse, decodeMessagesStream, encodeMessagesRequest, mapAnthropicError, mapStopReason, readTokenCounts } from './index.js';

describe('decodeMessagesResponse', () => {
  it('names a tool_use without an id (or an empty one) by its place, as the stream does, and refuses one without a name rather than drop it', () => {
    const answer = (blocks: unknown[]) => decodeMessagesResponse({ id: 'msg_1', type: 'message', role: 'assistant', content: blocks, stop_reason: 'tool_use', usage: { input_tokens: 1, output_tokens: 1 } }, 'test');
    const r = answer([{ type: 'tool_use', name: 'a', input: {} }, { type: 'tool_use', id: '', name: 'b', input: {} }, { type: 'tool_use', id: 'toolu_1', name: 'c', input: {} }]);
    expect(r.content.map((p) => (p.type === 'tool-call' ? p.id : undefined))).toEqual(['call_0', 'call_1', 'toolu_1']);
    for (const block of [{ type: 'tool_use', id: 'toolu_1', input: {} }, { type: 'tool_use', id: 'toolu_1', name: '', input: {} }]) {
      expect(() => answer([block]), JSON.stringify(block)).toThrowError(expect.objectContaining({ kind: 'bad_upstream_response' }));
    }
  });

  it('decodes thinking, text and tool_use into parts in order, keeping raw usage and stop reason apart', () => {
    const usage = { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 100, cache_read_input_tokens: 1000 };
    const r = decodeMessagesResponse(
      {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-x',
        content: [
          { type: 'thinking', thinking: 'hmm', signature: 'sig' },
          { type: 'redacted_thinking', data: 'opaque' },
          { type: 'text', text: 'Let me ', citations: [{ type: 'char_location', cited_text: 'x' }] },
          { type: 'text', text: 'check.' },
          { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'cats' } },
        ],
        stop_reason: 'tool_use',
        stop_sequence: null,
        usage,
      },
      'anthropic',
    );
    expect(r.content).toEqual([
      { type: 'reasoning', text: 'hmm', signature: 'sig', provider: 'anthropic' },
      { type: 'redacted-reasoning', data: 'opaque', provider: 'anthropic' },
      { type: 'text', text: 'Let me check.' },
      { type: 'tool-call', id: 'toolu_1', name: 'lookup', arguments: '{"q":"cats"}' },
    ]);
    expect(r.finishReason).toBe('tool_calls');
    // Thinking is part of output_tokens; its share is counted from the text (3 chars -> 1 token).
    expect(r.usage).toEqual({ prompt: 1110, completion: 5, cachedRead: 1000, cachedWrite: 100, reasoning: 1, total: 1115 });
    expect(r.rawUsage).toEqual(usage);
    expect(r.usageEstimated).toBeUndefined();
    // The raw usage also stays in providerMetadata, where Chat Completions clients read it (switchyard_extensions).
    expect(r.providerMetadata).toEqual({ anthropic: { stop_reason: 'tool_use', usage, citations: [{ type: 'char_location', cited_text: 'x' }] } });
    expect(r.warnings).toBeUndefined();
  });

  it("takes a 200 answer that is the API's error object for the upstream's failure, by its type, with its words kept for the log only", () => {
    const decode = (type: string): unknown => decodeMessagesResponse({ type: 'error', error: { type, message: 'Overloaded, key sk-ant-api03-0123456789abcdefghijklmnop' } }, 'test');
    expect(() => decode('overloaded_error')).toThrowError(expect.objectContaining({ kind: 'overloaded', upstreamStatus: 200 }));
    expect(() => decode('api_error')).toThrowError(expect.objectContaining({ kind: 'upstream_error', upstreamText: expect.not.stringContaining('sk-ant-api03') }));
    expect(() => decodeMessagesResponse({ type: 'message' }, 'test')).toThrowError(expect.objectContaining({ kind: 'bad_upstream_response' }));
  });

  it('keeps server-tool blocks and the stop sequence in providerMetadata', () => {
    const server = { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'cats' } };
    const r = decodeMessagesResponse({ content: [server, { type: 'text', text: 'END?' }], stop_reason: 'stop_sequence', stop_sequence: 'END', usage: { input_tokens: 1, output_tokens: 1 } }, 'a');
    expect(r.providerMetadata?.anthropic).toEqual({ stop_reason: 'stop_sequence', stop_sequence: 'END', usage: { input_tokens: 1, output_tokens: 1 }, content_blocks: [server] });
  });

  it("reports the encoder's warnings with the answer", () => {
    const warning = { type: 'unsupported-setting' as const, setting: 'seed', message: 'no seed' };
    const r = decodeMessagesResponse({ content: [{ type: 'text', text: 'hi' }], stop_reason: 'end_turn', usage: { input_tokens: 1, output_tokens: 1 } }, 'a', [warning]);
    expect(r.warnings).toEqual([warning]);
  });

  it('decodes an answer with 200,000 citations without overflowing the stack', () => {
    const citations = Array.from({ length: 200_000 }, () => ({ type: 'char_location', cited_text: 'x' }));
    const r = decodeMessagesResponse({ content: [{ type: 'text', text: 'hi', citations }], stop_reason: 'end_turn', usage: { input_tokens: 1, output_tokens: 1 } }, 'a');
    expect((r.providerMetadata?.anthropic as { citations: unknown[] }).citations).toHaveLength(200_000);
  });

  it('gives only a tool-call part for a tool-only answer', () => {
    const r = decodeMessagesResponse({ content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }], stop_reason: 'tool_use', usage: { input_tokens: 1, output_tokens: 1 } }, 'a');
    expect(r.content).toEqual([{ type: 'tool-call', id: 't', name: 'f', arguments: '{}' }]);
  });

  it('leaves out counts that are not counts, so what is missing is estimated rather than billed', () => {
    expect(readTokenCounts({ input_tokens: 1e300, output_tokens: -3, cache_read_input_tokens: 2.5, cache_creation_input_tokens: '4' })).toEqual({});
    const r = decodeMessagesResponse({ content: [{ type: 'text', text: 'hi' }], stop_reason: 'end_turn', usage: { input_tokens: 1e300, output_tokens: 1 } }, 'a');
    expect(r.usage.prompt).toBeLessThan(1000);
  });

  it('marks an answer without usage as estimated instead of billing zero', () => {
    const r = decodeMessagesResponse({ content: [{ type: 'text', text: 'hi' }], stop_reason: 'end_turn' }, 'a');
    expect(r.usageEstimated).toBe(true);
    expect(r.rawUsage).toBeUndefined();
    expect(r.providerMetadata?.anthropic).not.toHaveProperty('usage');
  });

  it('rejects a body without a content array', () => {
    expect(() => decodeMessagesResponse({ type: 'message' }, 'a')).toThrow(/malformed/);
  });
});

describe('mapStopReason', () => {
  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    ['pause_turn', 'stop'],
  ])('maps %s to %s', (raw, expected) => {
    expect(mapStopReason(raw)).toBe(expected);
  });
});

describe('mapAnthropicError', () => {
  const err = (type: string, message = 'x') => ({ type: 'error', error: { type, message } });
  it.each([
    [400, err('invalid_request_error', 'prompt is too long: 210000 tokens > 200000 maximum'), 'context_window_exceeded', 400],
    [400, err('invalid_request_error', 'Output blocked by content filtering policy'), 'content_filtered', 400],
    [400, err('invalid_request_error', 'max_tokens: field required'), 'invalid_request', 400],
    [401, err('authentication_error'), 'authentication', 502],
    [403, err('permission_error'), 'permission', 502],
    [404, err('not_found_error'), 'not_found', 404],
    [413, err('request_too_large'), 'invalid_request', 400],
    [429, err('rate_limit_error'), 'rate_limited', 429],
    [500, err('api_error'), 'upstream_error', 502],
    [503, err('api_error'), 'unavailable', 503],
    [529, err('overloaded_error'), 'overloaded', 503],
  ])('maps %i %j to %s', (status, body, kind, clientStatus) => {
    const e = mapAnthropicError(status, {}, body, 'anthropic');
    expect(e.kind).toBe(kind);
    expect(e.status).toBe(clientStatus);
    expect(e.upstreamStatus).toBe(status);
  });

  it("writes its own message and keeps the upstream's, scrubbed, for the log", () => {
    const e = mapAnthropicError(401, {}, err('authentication_error', 'invalid x-api-key sk-ant-api03-abcdefghij'), 'anthropic');
    expect(e.message).toBe("Upstream anthropic refused the gateway's credentials (HTTP 401).");
    expect(e.upstreamText).toBe('invalid x-api-key [redacted]');
  });

  it('reads retry-after into retryAfterMs and keeps not_found fallbackable', () => {
    expect(mapAnthropicError(429, { 'retry-after': '7' }, err('rate_limit_error'), 'a').retryAfterMs).toBe(7000);
    expect(mapAnthropicError(404, {}, err('not_found_error'), 'a').fallbackable).toBe(true);
    // A proxy in front may type a credential refusal as a bad request: the status tells.
    expect(mapAnthropicError(401, {}, err('invalid_request_error', 'bad key'), 'a').kind).toBe('authentication');
    expect(mapAnthropicError(403, {}, err('invalid_request_error'), 'a').kind).toBe('permission');
  });
});

function sse(...events: Array<Record<string, unknown>>): AsyncIterable<SseEvent> {
  return (async function* () {
    for (const e of events) yield { event: String(e.type), data: JSON.stringify(e) };
  })();
}

async function collect(events: AsyncIterable<SseEvent>, warnings?: Warning[]): Promise<StreamPart[]> {
  const parts: StreamPart[] = [];
  for await (const p of decodeMessagesStream(events, 'anthropic', warnings)) parts.push(p);
  return parts;
}

const start = {
  type: 'message_start',
  message: { id: 'msg_1', model: 'claude-x', content: [], usage: { input_tokens: 20, cache_read_input_tokens: 300, cache_creation_input_tokens: 0, output_tokens: 1 } },
};

describe('decodeMessagesStream', () => {
  it('names a streamed tool_use without an id by its place (a client needs it to answer the call), and refuses one without a name', async () => {
    const tool = (block: Record<string, unknown>) => [start, { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', input: {}, ...block } }, { type: 'content_block_stop', index: 0 }, { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 3 } }, { type: 'message_stop' }];
    const parts = await collect(sse(...tool({ name: 'lookup', id: 5 })));
    expect(parts.find((p) => p.type === 'tool-call')).toMatchObject({ index: 0, id: 'call_0', name: 'lookup' });
    for (const block of [{ id: 'toolu_1' }, { id: 'toolu_1', name: '' }, { id: 'toolu_1', name: 7 }]) {
      await expect(collect(sse(...tool(block))), JSON.stringify(block)).rejects.toMatchObject({ kind: 'bad_upstream_response' });
    }
  });

  it('decodes text, finish and usage that includes cache tokens', async () => {
    const parts = await collect(
      sse(
        start,
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        { type: 'ping' },
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'lo' } },
        { type: 'content_block_stop', index: 0 },
        { type: 'message_delta', delta: { stop_reason: 'max_tokens', stop_sequence: null }, usage: { output_tokens: 9 } },
        { type: 'message_stop' },
      ),
    );
    expect(parts).toEqual([
      // message_start counts the prompt (cache reads included) before the answer: the start part says so.
      { type: 'start', id: 'msg_1', model: 'claude-x', prompt: { prompt: 320, cachedRead: 300, cachedWrite: 0 } },
      { type: 'text', delta: 'Hel' },
      { type: 'text', delta: 'lo' },
      { type: 'provider-metadata', namespace: 'anthropic', data: { stop_reason: 'max_tokens' } },
      { type: 'finish', finishReason: 'length' },
      {
        type: 'usage',
        usage: { prompt: 320, completion: 9, cachedRead: 300, cachedWrite: 0, reasoning: 0, total: 329 },
        raw: { input_tokens: 20, cache_read_input_tokens: 300, cache_creation_input_tokens: 0, output_tokens: 9 },
      },
    ]);
  });

  it('numbers tool calls by appearance and streams input_json_delta as argument deltas', async () => {
    const parts = await collect(
      sse(
        start,
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Sure.' } },
        { type: 'content_block_stop', index: 0 },
        { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_a', name: 'lookup', input: {} } },
        { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '' } },
        { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"q":' } },
        { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '"cats"}' } },
        { type: 'content_block_stop', index: 1 },
        { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 12 } },
        { type: 'message_stop' },
      ),
    );
    const calls = parts.filter((p) => p.type === 'tool-call');
    expect(calls).toEqual([
      { type: 'tool-call', index: 0, id: 'toolu_a', name: 'lookup', argumentsDelta: '' },
      { type: 'tool-call', index: 0, argumentsDelta: '{"q":' },
      { type: 'tool-call', index: 0, argumentsDelta: '"cats"}' },
    ]);
    expect(parts).toContainEqual({ type: 'finish', finishReason: 'tool_calls' });
  });

  it('closes a tool call that streamed no arguments with {}, as an answer decodes input: {}', async () => {
    const parts = await collect(
      sse(
        start,
        { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_a', name: 'now', input: {} } },
        { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '' } },
        { type: 'content_block_stop', index: 0 },
        { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 12 } },
        { type: 'message_stop' },
      ),
    );
    expect(parts.filter((p) => p.type === 'tool-call')).toEqual([
      { type: 'tool-call', index: 0, id: 'toolu_a', name: 'now', argumentsDelta: '' },
      { type: 'tool-call', index: 0, argumentsDelta: '{}' },
    ]);
  });

  it('streams thinking as anthropic reasoning parts, the signature last, and redacted thinking whole', async () => {
    const parts = await collect(
      sse(
        start,
        { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'let me' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: ' see' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'sig' } },
        { type: 'content_block_stop', index: 0 },
        { type: 'content_block_start', index: 1, content_block: { type: 'redacted_thinking', data: 'opaque' } },
        { type: 'content_block_stop', index: 1 },
        { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 3 } },
        { type: 'message_stop' },
      ),
    );
    expect(parts.filter((p) => p.type === 'reasoning' || p.type === 'redacted-reasoning')).toEqual([
      { type: 'reasoning', delta: 'let me', provider: 'anthropic' },
      { type: 'reasoning', delta: ' see', provider: 'anthropic' },
      { type: 'reasoning', delta: '', signature: 'sig', provider: 'anthropic' },
      { type: 'redacted-reasoning', data: 'opaque', provider: 'anthropic' },
    ]);
    expect(parts.at(-1)).toMatchObject({ type: 'usage', usage: { prompt: 320, completion: 3, cachedRead: 300, cachedWrite: 0, reasoning: 3, total: 323 } });
    expect(parts.some((p) => p.type === 'provider-metadata' && 'content_block' in p.data)).toBe(false);
  });

  it("counts reasoning tokens as Anthropic reports them (output_tokens_details), not from the summarised thinking's length", async () => {
    const thinking = { type: 'thinking', thinking: 'short summary', signature: 's' };
    const whole = decodeMessagesResponse({ content: [thinking, { type: 'text', text: 'hi' }], stop_reason: 'end_turn', usage: { input_tokens: 10, output_tokens: 900, output_tokens_details: { thinking_tokens: 850 } } }, 'a');
    expect(whole.usage).toMatchObject({ completion: 900, reasoning: 850 });
    const streamed = await collect(
      sse(
        start,
        { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'short summary' } },
        { type: 'content_block_stop', index: 0 },
        { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 900, output_tokens_details: { thinking_tokens: 850 } } },
        { type: 'message_stop' },
      ),
    );
    expect(streamed.at(-1)).toMatchObject({ type: 'usage', usage: { completion: 900, reasoning: 850 } });
  });

  it("puts the encoder's warnings on the start part", async () => {
    const warning = { type: 'unsupported-setting' as const, setting: 'topK', message: 'dropped' };
    const parts = await collect(sse(start, { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } }, { type: 'message_stop' }), [warning]);
    expect(parts[0]).toEqual({ type: 'start', id: 'msg_1', model: 'claude-x', prompt: { prompt: 320, cachedRead: 300, cachedWrite: 0 }, warnings: [warning] });
  });

  it('keeps server-tool blocks with their streamed input, and citations, as provider-metadata parts', async () => {
    const parts = await collect(
      sse(
        start,
        { type: 'content_block_start', index: 0, content_block: { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} } },
        { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"query":"cats"}' } },
        { type: 'content_block_stop', index: 0 },
        { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
        { type: 'content_block_delta', index: 1, delta: { type: 'citations_delta', citation: { type: 'web_search_result_location', url: 'https://x' } } },
        { type: 'content_block_stop', index: 1 },
        { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 3 } },
        { type: 'message_stop' },
      ),
    );
    expect(parts.filter((p) => p.type === 'tool-call')).toEqual([]);
    expect(parts).toContainEqual({
      type: 'provider-metadata',
      namespace: 'anthropic',
      data: { content_block: { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'cats' } } },
    });
    expect(parts).toContainEqual({ type: 'provider-metadata', namespace: 'anthropic', data: { citation: { type: 'web_search_result_location', url: 'https://x' } } });
  });

  it('throws the mapped GatewayError on an error event mid-stream', async () => {
    const events = sse(
      start,
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } },
      { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
    );
    const err = await collect(events).catch((e: unknown) => e);
    expect(GatewayError.isInstance(err) && err.kind).toBe('overloaded');
  });

  it('treats a stream that ends without message_stop as a truncation', async () => {
    const err = await collect(sse(start, { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } })).catch((e: unknown) => e);
    expect(GatewayError.isInstance(err) && err.kind).toBe('network');
  });

  it("hands on message_delta's cumulative usage with its finish, so a stream cut before message_stop has said what it used", async () => {
    const parts: StreamPart[] = [];
    const cut = sse(
      start,
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } },
      { type: 'content_block_stop', index: 0 },
      // Cumulative: it may restate (or correct) the prompt's counts as well as give the output's.
      { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { input_tokens: 20, cache_read_input_tokens: 301, output_tokens: 7 } },
    );
    const err = await (async () => {
      for await (const p of decodeMessagesStream(cut, 'anthropic')) parts.push(p);
    })().catch((e: unknown) => e);
    expect(GatewayError.isInstance(err) && err.kind).toBe('network');
    expect(parts.slice(-2)).toEqual([
      { type: 'finish', finishReason: 'stop' },
      {
        type: 'usage',
        usage: { prompt: 321, completion: 7, cachedRead: 301, cachedWrite: 0, reasoning: 0, total: 328 },
        raw: { input_tokens: 20, cache_read_input_tokens: 301, cache_creation_input_tokens: 0, output_tokens: 7 },
      },
    ]);
    // Whole, the stream has that one usage part, last.
    const whole = await collect(sse(start, { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 7 } }, { type: 'message_stop' }));
    expect(whole.filter((p) => p.type === 'usage')).toHaveLength(1);
    expect(whole.at(-1)).toMatchObject({ type: 'usage', usage: { completion: 7 } });
  });

  it('decodes events without SSE names (Bedrock InvokeModel chunks) by their JSON type', async () => {
    const events = (async function* () {
      for (const e of [start, { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } }, { type: 'message_stop' }]) {
        yield { event: undefined, data: JSON.stringify(e) };
      }
    })();
    const parts = await collect(events);
    expect(parts.at(-1)).toMatchObject({ type: 'usage', usage: { prompt: 320, completion: 2, cachedRead: 300, cachedWrite: 0, reasoning: 0, total: 322 } });
  });

  it('rejects malformed event data', async () => {
    const events = (async function* () {
      yield { event: 'message_start', data: '{"type":' };
    })();
    const err = await collect(events).catch((e: unknown) => e);
    expect(GatewayError.isInstance(err) && err.kind).toBe('bad_upstream_response');
  });
});

describe('decodeMessagesStream on runs of token deltas', () => {
  const delta = (index: number, d: Record<string, unknown>): Record<string, unknown> => ({ type: 'content_block_delta', index, delta: d });

  it('reads the deltas after the first two of a kind without JSON.parse, with the parts a parse gives', async () => {
    const thinking = ['Let', ' me', ' check', ' the', ' units', '.'];
    const text = ['The', ' answer', ' is', ' "42"\n', ' – ', 'done'];
    const args = ['{"q', 'uery":', '', '"cats"', '}'];
    const events = sse(
      start,
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
      ...thinking.map((t) => delta(0, { type: 'thinking_delta', thinking: t })),
      delta(0, { type: 'signature_delta', signature: 'sig' }),
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
      ...text.map((t) => delta(1, { type: 'text_delta', text: t })),
      { type: 'content_block_stop', index: 1 },
      { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_a', name: 'lookup', input: {} } },
      ...args.map((a) => delta(2, { type: 'input_json_delta', partial_json: a })),
      { type: 'content_block_stop', index: 2 },
      { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 30 } },
      { type: 'message_stop' },
    );
    const { result: parts, parses } = await countingJsonParse(() => collect(events));
    expect(parts.filter((p) => p.type === 'reasoning' || p.type === 'text' || p.type === 'tool-call')).toEqual([
      ...thinking.map((d) => ({ type: 'reasoning', delta: d, provider: 'anthropic' })),
      { type: 'reasoning', delta: '', signature: 'sig', provider: 'anthropic' },
      ...text.map((d) => ({ type: 'text', delta: d })),
      { type: 'tool-call', index: 0, id: 'toolu_a', name: 'lookup', argumentsDelta: '' },
      ...args.filter((a) => a !== '').map((a) => ({ type: 'tool-call', index: 0, argumentsDelta: a })),
    ]);
    // Thinking still counts toward the reasoning tokens it is read for.
    expect(parts.at(-1)).toMatchObject({ type: 'usage', usage: { reasoning: Math.ceil(thinking.join('').length / 4) } });
    // 10 other events, two deltas of each kind to learn it, and the three strings with escapes (' "42"\n',
    // 'uery":' when it confirms the tool shape, '"cats"'), each parsed alone: 19 of 33.
    expect(parses).toBe(10 + 3 * 2 + 3);
  });

  it("lets the block's state decide for a delta read by shape: a thinking delta after its block stopped is malformed", async () => {
    const events = sse(
      start,
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
      ...['a', 'b', 'c'].map((t) => delta(0, { type: 'thinking_delta', thinking: t })),
      { type: 'content_block_stop', index: 0 },
      delta(0, { type: 'thinking_delta', thinking: 'd' }),
    );
    await expect(collect(events)).rejects.toMatchObject({ kind: 'bad_upstream_response' });
  });
});

describe('thinking round trip', () => {
  it("sends a decoded answer's thinking back upstream with its signature, as Claude requires", () => {
    const answer = decodeMessagesResponse(
      {
        content: [
          { type: 'thinking', thinking: 'Use the tool.', signature: 'EqQBCkYIBxgC' },
          { type: 'redacted_thinking', data: 'EmwKAhgB' },
          { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'x' } },
        ],
        stop_reason: 'tool_use',
        usage: { input_tokens: 1, output_tokens: 1 },
      },
      'anthropic',
    );
    const body = encodeMessagesRequest(
      {
        model: 'claude',
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'q' }] },
          { role: 'assistant', content: answer.content },
          { role: 'tool', toolCallId: 'toolu_1', content: [{ type: 'text', text: 'found' }] },
        ],
        reasoning: { enabled: true },
      },
      { stream: false, defaultMaxTokens: 16_000 },
    );
    expect(body.messages[1]?.content).toEqual([
      { type: 'thinking', thinking: 'Use the tool.', signature: 'EqQBCkYIBxgC' },
      { type: 'redacted_thinking', data: 'EmwKAhgB' },
      { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'x' } },
    ]);
  });
});

describe('Messages replies whose answer fields have the wrong JSON type', () => {
  const answer = (content: unknown[], extra: Record<string, unknown> = {}) => ({ content, stop_reason: 'end_turn', usage: { input_tokens: 3, output_tokens: 2 }, ...extra });
  const refusedAs = (what: string) => expect.objectContaining({ kind: 'bad_upstream_response', message: `Upstream a returned a malformed response: ${what}.` });
  const eventRefusedAs = (what: string) => expect.objectContaining({ kind: 'bad_upstream_response', message: `Upstream anthropic sent a malformed stream event: ${what}.` });
  const opened = (block: Record<string, unknown>) => [start, { type: 'content_block_start', index: 0, content_block: block }];

  it('refuses a text block whose text is not a string, never serving an empty answer', () => {
    expect(() => decodeMessagesResponse(answer([{ type: 'text', text: 5 }]), 'a')).toThrowError(refusedAs('a text block whose text is not a string'));
  });

  it('refuses a tool_use input that is not an object, whole and streamed; a null input is no arguments', async () => {
    for (const input of ['{"city":"Paris"}', ['Paris'], 5]) {
      expect(() => decodeMessagesResponse(answer([{ type: 'tool_use', id: 't', name: 'f', input }]), 'a'), JSON.stringify(input)).toThrowError(refusedAs('a tool_use input that is not an object'));
      await expect(collect(sse(...opened({ type: 'tool_use', id: 't', name: 'f', input })))).rejects.toEqual(eventRefusedAs('a tool_use input that is not an object'));
    }
    expect(decodeMessagesResponse(answer([{ type: 'tool_use', id: 't', name: 'f', input: null }]), 'a').content).toMatchObject([{ type: 'tool-call', arguments: '{}' }]);
  });

  it('refuses a stop_reason that is not a string, whole and streamed; null stays an answer still going', async () => {
    expect(() => decodeMessagesResponse(answer([{ type: 'text', text: 'hi' }], { stop_reason: 1 }), 'a')).toThrowError(refusedAs('a stop_reason that is not a string'));
    await expect(collect(sse(start, { type: 'message_delta', delta: { stop_reason: { reason: 'end_turn' } }, usage: { output_tokens: 1 } }))).rejects.toEqual(eventRefusedAs('a stop_reason that is not a string'));
    const parts = await collect(sse(start, { type: 'message_delta', delta: { stop_reason: null }, usage: { output_tokens: 1 } }, { type: 'message_stop' }));
    expect(parts.find((p) => p.type === 'finish')).toEqual({ type: 'finish', finishReason: 'stop' });
  });

  it('refuses a text_delta whose text is not a string, also after the text deltas\' shape was learned', async () => {
    const text = (t: unknown) => ({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: t } });
    await expect(collect(sse(...opened({ type: 'text', text: '' }), text(5)))).rejects.toEqual(eventRefusedAs('a text_delta whose text is not a string'));
    await expect(collect(sse(...opened({ type: 'text', text: '' }), text('a'), text('b'), text('c'), text(['d'])))).rejects.toEqual(eventRefusedAs('a text_delta whose text is not a string'));
  });

  it('refuses an input_json_delta whose partial_json is not a string (an object, as if already parsed)', async () => {
    const events = [...opened({ type: 'tool_use', id: 't', name: 'f', input: {} }), { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: { city: 'Paris' } } }];
    await expect(collect(sse(...events))).rejects.toEqual(eventRefusedAs('an input_json_delta whose partial_json is not a string'));
  });

  it('estimates the usage of an answer whose input or output count is not a count, rather than billing it as zero', () => {
    for (const usage of [{ input_tokens: -5, output_tokens: 2 }, { input_tokens: 3, output_tokens: 2.5 }, { input_tokens: 1e300, output_tokens: 1 }]) {
      expect(decodeMessagesResponse(answer([{ type: 'text', text: 'hi' }], { usage }), 'a').usageEstimated, JSON.stringify(usage)).toBe(true);
    }
  });
});
