import { describe, expect, it } from 'vitest';
import { countingJsonParse } from '../../testing/json-parses.js';
import { EventStreamCodec, type MessageHeaders } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { decodeReply, GatewayError } from '../../../core/errors.js';
import type { StreamPart, Warning } from '../../../core/types.js';
import { decodeConverseResponse } from './decode-response.js';
import { encodeConverseRequest } from './encode-request.js';
import { decodeConverseStream } from './decode-stream.js';
import { mapStopReason } from './finish-reason.js';
import { mapBedrockError, mapStreamException } from './map-error.js';
import { decodeBedrockUsage } from './usage.js';
import { decodeCohereResponse, embeddingFamily } from './embeddings.js';

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const s = (value: string): { type: 'string'; value: string } => ({ type: 'string', value });

function event(type: string, payload: unknown): Uint8Array {
  const headers: MessageHeaders = { ':message-type': s('event'), ':event-type': s(type), ':content-type': s('application/json') };
  return codec.encode({ headers, body: fromUtf8(JSON.stringify(payload)) });
}

function exception(type: string, message: string): Uint8Array {
  const headers: MessageHeaders = { ':message-type': s('exception'), ':exception-type': s(type), ':content-type': s('application/json') };
  return codec.encode({ headers, body: fromUtf8(JSON.stringify({ message })) });
}

/** Delivers the frames in chunks of `size` bytes, so frames split across (and share) reads. */
async function* chunked(frames: Uint8Array[], size: number): AsyncGenerator<Uint8Array> {
  const all = Buffer.concat(frames);
  for (let i = 0; i < all.length; i += size) yield all.subarray(i, i + size);
}

const CLAUDE = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';

async function parts(frames: Uint8Array[], size = 7, model = 'm', warnings?: Warning[]): Promise<StreamPart[]> {
  const out: StreamPart[] = [];
  for await (const p of decodeConverseStream(chunked(frames, size), 'bedrock', model, warnings)) out.push(p);
  return out;
}

const usage = { inputTokens: 10, outputTokens: 5, totalTokens: 135, cacheReadInputTokens: 100, cacheWriteInputTokens: 20 };

describe('bedrock-converse decoding', () => {
  it('adds cache read and write tokens into the canonical prompt', () => {
    expect(decodeBedrockUsage(usage)).toEqual({ prompt: 130, completion: 5, cachedRead: 100, cachedWrite: 20, reasoning: 0, total: 135 });
    expect(decodeBedrockUsage({ inputTokens: 3, outputTokens: 2, totalTokens: 5 })).toEqual({ prompt: 3, completion: 2, cachedRead: 0, cachedWrite: 0, reasoning: 0, total: 5 });
  });

  it('keeps the one-hour part of cache writes from cacheDetails, and leaves it out without a breakdown', () => {
    const details = [{ ttl: '1h', inputTokens: 15 }, { ttl: '5m', inputTokens: 5 }];
    expect(decodeBedrockUsage({ ...usage, cacheDetails: details })).toMatchObject({ cachedWrite: 20, cachedWrite1h: 15 });
    expect(decodeBedrockUsage(usage)).not.toHaveProperty('cachedWrite1h');
    expect(decodeBedrockUsage({ ...usage, cacheDetails: [{ ttl: '1h', inputTokens: -1 }] })).not.toHaveProperty('cachedWrite1h');
  });

  it('treats usage whose counts are not counts as unknown (the gateway estimates it)', () => {
    for (const bad of [{ inputTokens: 1e300, outputTokens: 2 }, { inputTokens: 3, outputTokens: 2.5 }, { inputTokens: '3', outputTokens: 2 }, { inputTokens: 3, outputTokens: 2, cacheReadInputTokens: -1 }]) {
      expect(decodeBedrockUsage(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });

  it('maps every stop reason to a finish reason', () => {
    expect(['end_turn', 'stop_sequence', 'tool_use', 'max_tokens', 'model_context_window_exceeded', 'guardrail_intervened', 'content_filtered'].map((r) => mapStopReason(r))).toEqual([
      'stop',
      'stop',
      'tool_calls',
      'length',
      'length',
      'content_filter',
      'content_filter',
    ]);
  });

  it('names a streamed toolUse without an id (or with an empty one or a number) by its place, as a whole answer does: a client needs it to answer the call', async () => {
    const frames = (toolUseId: unknown) => [
      event('messageStart', { role: 'assistant' }),
      event('contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId, name: 'lookup' } } }),
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: '{}' } } }),
      event('contentBlockStop', { contentBlockIndex: 0 }),
      event('messageStop', { stopReason: 'tool_use' }),
      event('metadata', { usage: { inputTokens: 5, outputTokens: 1, totalTokens: 6 } }),
    ];
    for (const id of [undefined, '', 5]) {
      const call = (await parts(frames(id))).find((p) => p.type === 'tool-call');
      expect(call, String(id)).toMatchObject({ index: 0, id: 'call_0', name: 'lookup' });
    }
  });

  it('names a whole answer\'s toolUse with an empty id by its place, as one without an id', () => {
    const r = decodeConverseResponse({ output: { message: { role: 'assistant', content: [{ toolUse: { toolUseId: '', name: 'lookup', input: {} } }] } }, stopReason: 'tool_use', usage: { inputTokens: 5, outputTokens: 1, totalTokens: 6 } }, 'bedrock', 'id', 'm', 0);
    expect(r.content[0]).toMatchObject({ type: 'tool-call', id: 'call_0', name: 'lookup' });
  });

  it('reads tool input for a block no contentBlockStart began as a tool call as a malformed reply, not a call without id or name', async () => {
    const frames = [
      event('messageStart', { role: 'assistant' }),
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: '{}' } } }),
      event('contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId: 't1', name: 'lookup' } } }),
      event('contentBlockStop', { contentBlockIndex: 0 }),
      event('messageStop', { stopReason: 'tool_use' }),
      event('metadata', { usage: { inputTokens: 5, outputTokens: 1, totalTokens: 6 } }),
    ];
    await expect(parts(frames)).rejects.toMatchObject({ kind: 'bad_upstream_response' });
  });

  it('reads a tool call without a name, or a tool_use stop without one, as a malformed reply', async () => {
    const answer = (content: unknown[]) => ({ output: { message: { role: 'assistant', content } }, stopReason: 'tool_use', usage: { inputTokens: 5, outputTokens: 1, totalTokens: 6 } });
    for (const content of [[{ toolUse: { toolUseId: 't', name: null, input: {} } }], [{ toolUse: null }], [null]]) {
      expect(() => decodeReply('bedrock', () => decodeConverseResponse(answer(content), 'bedrock', 'id', 'm', 0)), JSON.stringify(content)).toThrow(expect.objectContaining({ kind: 'bad_upstream_response' }));
    }
    const start = [event('messageStart', { role: 'assistant' }), event('contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId: 't' } } })];
    await expect(parts(start)).rejects.toMatchObject({ kind: 'bad_upstream_response' });
  });

  it('refuses a tool_use stop without a tool call alike whole and streamed: the same malformed reply, never tool_calls with no tool', async () => {
    const usage = { inputTokens: 5, outputTokens: 3, totalTokens: 8 };
    const whole = { output: { message: { role: 'assistant', content: [{ text: 'Let me look that up.' }] } }, stopReason: 'tool_use', usage };
    const streamed = [
      event('messageStart', { role: 'assistant' }),
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Let me look that up.' } }),
      event('contentBlockStop', { contentBlockIndex: 0 }),
      event('messageStop', { stopReason: 'tool_use' }),
      event('metadata', { usage, metrics: { latencyMs: 1 } }),
    ];
    const streamError = await parts(streamed).then(
      () => undefined,
      (e: unknown) => e as GatewayError,
    );
    const shape = { kind: 'bad_upstream_response', message: 'Upstream bedrock returned a malformed response: tool_use without a tool call.', upstreamStatus: 200 };
    // Either brings its usage along (streamed, in the metadata after messageStop): what the call cost is still charged.
    const paidUsage = expect.objectContaining({ prompt: 5, completion: 3 });
    expect(() => decodeConverseResponse(whole, 'bedrock', 'id', 'm', 0)).toThrow(expect.objectContaining({ ...shape, paidUsage }));
    expect(streamError).toMatchObject({ ...shape, paidUsage });
  });

  it('raises a malformed tool call or answer as a retryable upstream error, whole or streamed, never a clean stop', async () => {
    for (const stopReason of ['malformed_tool_use', 'malformed_model_output']) {
      const whole = { output: { message: { role: 'assistant', content: [] } }, stopReason, usage: { inputTokens: 5, outputTokens: 0, totalTokens: 5 } };
      // Paid for though not served: the error carries the usage, so the attempt is billed.
      expect(() => decodeConverseResponse(whole, 'bedrock', 'id', 'm', 0)).toThrow(expect.objectContaining({ kind: 'upstream_error', code: stopReason, retryable: true, paidUsage: expect.objectContaining({ prompt: 5 }) }));
      const streamed = [event('messageStart', { role: 'assistant' }), event('messageStop', { stopReason })];
      // Streamed, the error waits for the metadata that carries the usage; a body that ends without it still fails.
      const metadata = event('metadata', { usage: { inputTokens: 5, outputTokens: 2, totalTokens: 7 } });
      await expect(parts([...streamed, metadata])).rejects.toMatchObject({ kind: 'upstream_error', code: stopReason, paidUsage: { prompt: 5, completion: 2 } });
      await expect(parts(streamed)).rejects.toMatchObject({ kind: 'upstream_error', code: stopReason, paidUsage: undefined });
    }
  });

  it("raises a malformed answer's error at the metadata, with the usage it was charged, though the upstream holds its body open", async () => {
    async function* held(): AsyncGenerator<Uint8Array> {
      yield Buffer.concat([
        event('messageStart', { role: 'assistant' }),
        event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi' } }),
        event('messageStop', { stopReason: 'malformed_model_output' }),
        event('metadata', { usage: { inputTokens: 3, outputTokens: 1, totalTokens: 4 } }),
      ]);
      await new Promise(() => undefined); // never ends
    }
    const out: StreamPart[] = [];
    const read = (async () => {
      for await (const p of decodeConverseStream(held(), 'bedrock', 'm')) out.push(p);
    })();
    await expect(read).rejects.toMatchObject({ code: 'malformed_model_output', paidUsage: { prompt: 3, completion: 1 } });
    expect(out.map((p) => p.type)).toEqual(['start', 'text']);
  });

  it('decodes a Converse response into text and tool-call parts, usage, raw usage and provider metadata', () => {
    const r = decodeConverseResponse(
      {
        output: { message: { role: 'assistant', content: [{ text: 'Let me look.' }, { toolUse: { toolUseId: 'tu1', name: 'lookup', input: { q: 'a' } } }] } },
        stopReason: 'tool_use',
        usage,
        metrics: { latencyMs: 12 },
      },
      'bedrock',
      'id1',
      'm',
      1,
    );
    expect(r.content).toEqual([
      { type: 'text', text: 'Let me look.' },
      { type: 'tool-call', id: 'tu1', name: 'lookup', arguments: '{"q":"a"}' },
    ]);
    expect(r.finishReason).toBe('tool_calls');
    expect(r.usage.prompt).toBe(130);
    expect(r.rawUsage).toEqual(usage);
    expect(r.providerMetadata).toEqual({ bedrock: { stopReason: 'tool_use', metrics: { latencyMs: 12 } } });
    expect(r.warnings).toBeUndefined();
  });

  it('decodes signed and redacted reasoning into parts named anthropic for Claude models, and counts its tokens into usage', () => {
    const warning = { type: 'unsupported-setting' as const, setting: 'seed', message: 'no seed' };
    const body = {
      output: {
        message: {
          role: 'assistant',
          content: [{ reasoningContent: { reasoningText: { text: 'Think first.', signature: 's' } } }, { reasoningContent: { redactedContent: 'b3BhcXVl' } }, { text: 'Done.' }],
        },
      },
      stopReason: 'end_turn',
      usage: { inputTokens: 3, outputTokens: 8, totalTokens: 11 },
    };
    const r = decodeConverseResponse(body, 'bedrock', 'id1', CLAUDE, 1, [warning]);
    expect(r.content).toEqual([
      { type: 'reasoning', text: 'Think first.', signature: 's', provider: 'anthropic' },
      { type: 'redacted-reasoning', data: 'b3BhcXVl', provider: 'anthropic' },
      { type: 'text', text: 'Done.' },
    ]);
    expect(r.usage).toMatchObject({ completion: 8, reasoning: 3 });
    expect(r.warnings).toEqual([warning]);
    expect(decodeConverseResponse(body, 'bedrock', 'id1', 'deepseek.r1-v1:0', 1).content[0]).toMatchObject({ type: 'reasoning', provider: 'bedrock' });
  });

  it('round-trips signed reasoning: a decoded Claude answer goes back as the same reasoningContent', () => {
    const block = { reasoningContent: { reasoningText: { text: 'Use the tool.', signature: 'EqQBCkYIBxgC' } } };
    const answer = decodeConverseResponse(
      { output: { message: { role: 'assistant', content: [block, { toolUse: { toolUseId: 't1', name: 'f', input: {} } }] } }, stopReason: 'tool_use' },
      'bedrock',
      'id1',
      CLAUDE,
      1,
    );
    const body = encodeConverseRequest(
      {
        model: 'x',
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'q' }] },
          { role: 'assistant', content: answer.content },
          { role: 'tool', toolCallId: 't1', content: [{ type: 'text', text: 'r' }] },
        ],
        tools: [{ name: 'f' }],
        reasoning: { enabled: true },
      },
      { model: CLAUDE },
    );
    expect(body.messages[1]?.content).toEqual([block, { toolUse: { toolUseId: 't1', name: 'f', input: {} } }]);
  });

  it('refuses a 200 without a stopReason, and serves one without usage with usage marked estimated', () => {
    const output = { message: { role: 'assistant', content: [{ text: 'Hi' }] } };
    expect(() => decodeConverseResponse({ output, usage }, 'bedrock', 'i', 'm', 1)).toThrow(expect.objectContaining({ kind: 'bad_upstream_response' }));
    const r = decodeConverseResponse({ output, stopReason: 'end_turn' }, 'bedrock', 'i', 'm', 1);
    expect(r.usageEstimated).toBe(true);
  });

  it('streams every reasoning fragment, its signature and redacted reasoning, named anthropic for Claude models', async () => {
    const out = await parts(
      [
      event('messageStart', { role: 'assistant' }),
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: 'Let me ' } } }),
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: 'think.' } } }),
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { signature: 'sig' } } }),
      event('contentBlockStop', { contentBlockIndex: 0 }),
      event('contentBlockDelta', { contentBlockIndex: 1, delta: { reasoningContent: { redactedContent: 'b3BhcXVl' } } }),
      event('contentBlockStop', { contentBlockIndex: 1 }),
      event('contentBlockDelta', { contentBlockIndex: 2, delta: { text: 'Hi' } }),
      event('messageStop', { stopReason: 'end_turn' }),
      event('metadata', { usage: { inputTokens: 2, outputTokens: 6, totalTokens: 8 } }),
      ],
      7,
      CLAUDE,
    );
    expect(out.filter((p) => p.type === 'reasoning' || p.type === 'redacted-reasoning')).toEqual([
      { type: 'reasoning', delta: 'Let me ', provider: 'anthropic' },
      { type: 'reasoning', delta: 'think.', provider: 'anthropic' },
      { type: 'reasoning', delta: '', signature: 'sig', provider: 'anthropic' },
      { type: 'redacted-reasoning', data: 'b3BhcXVl', provider: 'anthropic' },
    ]);
    expect(out).toContainEqual({
      type: 'usage',
      usage: { prompt: 2, completion: 6, cachedRead: 0, cachedWrite: 0, reasoning: 4, total: 8 },
      raw: { inputTokens: 2, outputTokens: 6, totalTokens: 8 },
    });
  });

  it("puts the encoder's warnings on the start part", async () => {
    const warning = { type: 'unsupported-setting' as const, setting: 'topK', message: 'dropped' };
    const out = await parts([event('messageStart', { role: 'assistant' }), event('messageStop', { stopReason: 'end_turn' })], 7, 'm', [warning]);
    expect(out[0]).toEqual({ type: 'start', warnings: [warning] });
  });

  it('refuses a response without an output message', () => {
    expect(() => decodeConverseResponse({ stopReason: 'end_turn' }, 'bedrock', 'i', 'm', 1)).toThrow(GatewayError);
  });

  it('decodes a stream byte-split across reads into text, tool-call, finish and usage parts', async () => {
    const out = await parts([
      event('messageStart', { role: 'assistant' }),
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi ' } }),
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'there' } }),
      event('contentBlockStop', { contentBlockIndex: 0 }),
      event('contentBlockStart', { contentBlockIndex: 1, start: { toolUse: { toolUseId: 'tu1', name: 'lookup' } } }),
      event('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '{"q":' } } }),
      event('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '"a"}' } } }),
      event('contentBlockStop', { contentBlockIndex: 1 }),
      event('messageStop', { stopReason: 'tool_use' }),
      event('metadata', { usage, metrics: { latencyMs: 9 } }),
    ]);
    expect(out).toEqual([
      { type: 'start' },
      { type: 'text', delta: 'Hi ' },
      { type: 'text', delta: 'there' },
      { type: 'tool-call', index: 0, id: 'tu1', name: 'lookup', argumentsDelta: '' },
      { type: 'tool-call', index: 0, argumentsDelta: '{"q":' },
      { type: 'tool-call', index: 0, argumentsDelta: '"a"}' },
      { type: 'finish', finishReason: 'tool_calls' },
      { type: 'provider-metadata', namespace: 'bedrock', data: { stopReason: 'tool_use' } },
      { type: 'usage', usage: { prompt: 130, completion: 5, cachedRead: 100, cachedWrite: 20, reasoning: 0, total: 135 }, raw: usage },
      { type: 'provider-metadata', namespace: 'bedrock', data: { metrics: { latencyMs: 9 } } },
    ]);
  });

  it('takes an end_turn with tool calls for tool_calls, answered or streamed; max_tokens stays length', async () => {
    const content = [{ toolUse: { toolUseId: 't', name: 'f', input: {} } }];
    const answer = (stopReason: string) => decodeConverseResponse({ output: { message: { role: 'assistant', content } }, stopReason, usage }, 'bedrock', 'id', 'm', 0).finishReason;
    expect(answer('end_turn')).toBe('tool_calls');
    expect(answer('max_tokens')).toBe('length');
    const out = await parts([
      event('messageStart', { role: 'assistant' }),
      event('contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId: 't', name: 'f' } } }),
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: '{"a":1}' } } }),
      event('contentBlockStop', { contentBlockIndex: 0 }),
      event('messageStop', { stopReason: 'end_turn' }),
    ]);
    expect(out).toContainEqual({ type: 'finish', finishReason: 'tool_calls' });
  });

  it('closes a tool call that streamed no arguments with {}, as an answer decodes input: {}', async () => {
    const out = await parts([
      event('messageStart', { role: 'assistant' }),
      event('contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId: 'tu1', name: 'now' } } }),
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: '' } } }),
      event('contentBlockStop', { contentBlockIndex: 0 }),
      event('contentBlockStart', { contentBlockIndex: 1, start: { toolUse: { toolUseId: 'tu2', name: 'lookup' } } }),
      event('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '{"q":1}' } } }),
      event('contentBlockStop', { contentBlockIndex: 1 }),
      event('messageStop', { stopReason: 'tool_use' }),
    ]);
    expect(out.filter((p) => p.type === 'tool-call')).toEqual([
      { type: 'tool-call', index: 0, id: 'tu1', name: 'now', argumentsDelta: '' },
      { type: 'tool-call', index: 0, argumentsDelta: '' },
      { type: 'tool-call', index: 0, argumentsDelta: '{}' },
      { type: 'tool-call', index: 1, id: 'tu2', name: 'lookup', argumentsDelta: '' },
      { type: 'tool-call', index: 1, argumentsDelta: '{"q":1}' },
    ]);
  });

  it("reads Bedrock's padded token deltas by shape, without JSON.parse, into the parts parsing gives", async () => {
    // As Bedrock sends them: a `p` member last in messageStart and every contentBlockDelta, its length
    // changing each time (aws/aws-sdk-js-v3#6919).
    let n = 0;
    const pad = (payload: Record<string, unknown>) => ({ ...payload, p: 'abcdefghijklmnopqrstuvwxyz0123456789'.slice(0, 1 + ((n += 7) % 36)) });
    const reasoning = ['Let ', 'me ', 'think', ' "hard"\n'];
    const text = ['Hel', 'lo ', 'wörld', '', ' ✓'];
    const input = ['{"q":', ' "cats"', '}'];
    const frames = [
      event('messageStart', pad({ role: 'assistant' })),
      ...reasoning.map((t) => event('contentBlockDelta', pad({ contentBlockIndex: 0, delta: { reasoningContent: { text: t } } }))),
      event('contentBlockDelta', pad({ contentBlockIndex: 0, delta: { reasoningContent: { signature: 'sig' } } })),
      event('contentBlockStop', { contentBlockIndex: 0 }),
      ...text.map((t) => event('contentBlockDelta', pad({ contentBlockIndex: 1, delta: { text: t } }))),
      event('contentBlockStop', { contentBlockIndex: 1 }),
      event('contentBlockStart', { contentBlockIndex: 2, start: { toolUse: { toolUseId: 'tu1', name: 'lookup' } } }),
      ...input.map((i) => event('contentBlockDelta', pad({ contentBlockIndex: 2, delta: { toolUse: { input: i } } }))),
      event('contentBlockStop', { contentBlockIndex: 2 }),
      event('messageStop', { stopReason: 'tool_use' }),
      event('metadata', { usage: { inputTokens: 2, outputTokens: 9, totalTokens: 11 } }),
    ];
    const { result: out, parses } = await countingJsonParse(() => parts(frames, 64, CLAUDE));
    expect(out.filter((p) => p.type === 'reasoning' || p.type === 'text' || p.type === 'tool-call')).toEqual([
      ...reasoning.map((d) => ({ type: 'reasoning', delta: d, provider: 'anthropic' })),
      { type: 'reasoning', delta: '', signature: 'sig', provider: 'anthropic' },
      ...text.filter((t) => t !== '').map((d) => ({ type: 'text', delta: d })),
      { type: 'tool-call', index: 0, id: 'tu1', name: 'lookup', argumentsDelta: '' },
      ...input.map((i) => ({ type: 'tool-call', index: 0, argumentsDelta: i })),
    ]);
    expect(out).toContainEqual(expect.objectContaining({ type: 'usage', usage: expect.objectContaining({ reasoning: Math.ceil(reasoning.join('').length / 4) }) }));
    // 7 other events, the signature, two deltas of each kind to learn it, and the strings with escapes,
    // each parsed alone (' "hard"\n', and ' "cats"' when it confirms the tool's shape): 16 of 21.
    expect(parses).toBe(7 + 1 + 3 * 2 + 2);
  });

  it('ends at its end marker, the metadata after messageStop, without waiting for a body the upstream holds open', async () => {
    async function* held(): AsyncGenerator<Uint8Array> {
      yield Buffer.concat([
        event('messageStart', { role: 'assistant' }),
        event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi' } }),
        event('contentBlockStop', { contentBlockIndex: 0 }),
        event('messageStop', { stopReason: 'end_turn' }),
        event('metadata', { usage: { inputTokens: 3, outputTokens: 1, totalTokens: 4 } }),
      ]);
      await new Promise(() => undefined); // never ends
    }
    const out: StreamPart[] = [];
    for await (const p of decodeConverseStream(held(), 'bedrock', 'm')) out.push(p);
    expect(out.map((p) => p.type)).toEqual(['start', 'text', 'finish', 'provider-metadata', 'usage']);
  });

  it('reads nothing after its end marker, even in the same read: no part after the usage, no late exception', async () => {
    const out = await parts(
      [
        event('messageStart', { role: 'assistant' }),
        event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi' } }),
        event('messageStop', { stopReason: 'end_turn' }),
        event('metadata', { usage: { inputTokens: 3, outputTokens: 1, totalTokens: 4 } }),
        event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'late' } }),
        exception('internalServerException', 'late'),
      ],
      1 << 16,
    );
    expect(out.map((p) => p.type)).toEqual(['start', 'text', 'finish', 'provider-metadata', 'usage']);
  });

  it('emits parts as frames arrive, before the stream ends', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    async function* body(): AsyncGenerator<Uint8Array> {
      yield Buffer.concat([event('messageStart', { role: 'assistant' }), event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'early' } })]);
      await gate;
      yield event('messageStop', { stopReason: 'end_turn' });
    }
    const it = decodeConverseStream(body(), 'bedrock', 'm');
    expect((await it.next()).value).toEqual({ type: 'start' });
    expect((await it.next()).value).toEqual({ type: 'text', delta: 'early' });
    release();
    expect((await it.next()).value).toEqual({ type: 'finish', finishReason: 'stop' });
  });

  it('turns in-stream exceptions into taxonomy errors, never a clean end', async () => {
    const start = [event('messageStart', { role: 'assistant' }), event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'a' } })];
    await expect(parts([...start, exception('throttlingException', 'slow down')])).rejects.toMatchObject({ kind: 'rate_limited' });
    await expect(parts([...start, exception('modelStreamErrorException', 'boom')])).rejects.toMatchObject({ kind: 'upstream_error' });
    await expect(parts([...start, exception('validationException', 'Input is too long for requested model.')])).rejects.toMatchObject({ kind: 'context_window_exceeded' });
    await expect(parts([...start, exception('serviceUnavailableException', 'x')])).rejects.toMatchObject({ kind: 'unavailable' });
    await expect(parts([...start, exception('modelStreamErrorException', 'signed with AKIAIOSFODNN7EXAMPLE')])).rejects.toMatchObject({
      message: 'Upstream bedrock failed with a server error mid-stream.',
      upstreamText: 'modelStreamErrorException: signed with [redacted]',
    });
  });

  it('treats a stream without messageStop, a cut frame or a bad CRC as errors', async () => {
    const start = [event('messageStart', { role: 'assistant' }), event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'a' } })];
    await expect(parts(start)).rejects.toMatchObject({ kind: 'network' });
    const stop = event('messageStop', { stopReason: 'end_turn' });
    await expect(parts([...start, stop.subarray(0, stop.length - 3)])).rejects.toMatchObject({ kind: 'network' });
    const corrupt = Uint8Array.from(stop);
    corrupt[corrupt.length - 1] ^= 0xff;
    await expect(parts([...start, corrupt])).rejects.toMatchObject({ kind: 'bad_upstream_response' });
    await expect(parts([Buffer.from('{"message":"not a frame at all"}')])).rejects.toMatchObject({ kind: 'bad_upstream_response' });
  });

  it('maps AWS error replies by x-amzn-errortype and message', () => {
    const cases: Array<[number, string, string, string]> = [
      [429, 'ThrottlingException', 'Too many requests', 'rate_limited'],
      [429, 'ModelNotReadyException', 'not ready', 'unavailable'],
      [503, 'ServiceUnavailableException', 'x', 'unavailable'],
      [400, 'ValidationException', 'Input is too long for requested model.', 'context_window_exceeded'],
      [400, 'ValidationException', 'Malformed input request', 'invalid_request'],
      [403, 'AccessDeniedException', 'no access', 'permission'],
      [403, 'UnrecognizedClientException', 'bad token', 'authentication'],
      [403, 'InvalidSignatureException', 'bad signature', 'authentication'],
      [408, 'ModelTimeoutException', 'slow', 'timeout'],
      [500, 'InternalServerException', 'x', 'upstream_error'],
      [424, 'ModelErrorException', 'x', 'upstream_error'],
      [404, 'ResourceNotFoundException', 'x', 'not_found'],
      [400, 'ServiceQuotaExceededException', 'quota', 'rate_limited'],
    ];
    for (const [status, name, message, kind] of cases) {
      const err = mapBedrockError(status, { 'x-amzn-errortype': `${name}:http://internal.amazon.com/coral/com.amazon.bedrock/` }, { message }, 'bedrock');
      expect([name, err.kind]).toEqual([name, kind]);
    }
    expect(mapBedrockError(400, {}, { message: 'Malformed', __type: 'com.amazon.bedrock#ValidationException' }, 'bedrock').kind).toBe('invalid_request');
    expect(mapBedrockError(413, {}, { message: 'Request entity too large' }, 'bedrock').kind).toBe('invalid_request');
    expect(mapBedrockError(400, { 'x-amzn-errortype': 'ServiceQuotaExceededException' }, { message: 'q' }, 'bedrock').retryable).toBe(false);
  });

  it('keeps a retry-after header when one is present', () => {
    const err = mapBedrockError(429, { 'x-amzn-errortype': 'ThrottlingException', 'retry-after': '3' }, { message: 'slow' }, 'bedrock');
    expect(err.retryAfterMs).toBe(3000);
    expect(err.upstreamStatus).toBe(429);
    expect(mapStreamException('modelStreamErrorException', { message: 'x' }, 'bedrock').upstreamStatus).toBeUndefined();
  });

  it('recognises embedding families and both Cohere response shapes', () => {
    expect(embeddingFamily('amazon.titan-embed-text-v2:0')).toBe('titan');
    expect(embeddingFamily('us.cohere.embed-v4:0')).toBe('cohere');
    expect(embeddingFamily('anthropic.claude-3-haiku')).toBeUndefined();
    expect(decodeCohereResponse({ embeddings: [[1], [2]] }, 2, 'bedrock')).toEqual([[1], [2]]);
    expect(decodeCohereResponse({ embeddings: { float: [[1]] } }, 1, 'bedrock')).toEqual([[1]]);
    expect(() => decodeCohereResponse({ embeddings: [[1]] }, 2, 'bedrock')).toThrow(GatewayError);
  });
});

describe('Converse replies whose answer fields have the wrong JSON type', () => {
  const answer = (content: unknown[], stopReason = 'end_turn') => ({ output: { message: { role: 'assistant', content } }, stopReason, usage });
  const decode = (raw: unknown) => decodeConverseResponse(raw, 'bedrock', 'req-1', 'm', 0);
  const refusedAs = (what: string) => expect.objectContaining({ kind: 'bad_upstream_response', message: `Upstream bedrock returned a malformed response: ${what}.` });
  const eventRefusedAs = (what: string) => expect.objectContaining({ kind: 'bad_upstream_response', message: `Upstream bedrock sent a malformed stream event: ${what}.` });
  const streamed = (...middle: Uint8Array[]) => parts([event('messageStart', { role: 'assistant' }), ...middle, event('messageStop', { stopReason: 'end_turn' }), event('metadata', { usage })]);

  it('refuses a text block that is not a string, never serving an empty answer', () => {
    expect(() => decode(answer([{ text: 5 }]))).toThrowError(refusedAs('a text block that is not a string'));
  });

  it('refuses a toolUse input that is not an object, as JSON text or a list', () => {
    for (const input of ['{"city":"Paris"}', ['Paris']]) {
      expect(() => decode(answer([{ toolUse: { toolUseId: 't', name: 'f', input } }], 'tool_use')), JSON.stringify(input)).toThrowError(refusedAs('a toolUse input that is not an object'));
    }
  });

  it('refuses a streamed text delta that is not a string', async () => {
    await expect(streamed(event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 5 } }))).rejects.toEqual(eventRefusedAs('a text delta that is not a string'));
  });

  it('refuses a streamed toolUse input delta that is not JSON text', async () => {
    const begun = event('contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId: 't', name: 'f' } } });
    await expect(streamed(begun, event('contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: { city: 'Paris' } } } }))).rejects.toEqual(eventRefusedAs('a toolUse input delta that is not a string'));
  });

  it('refuses a streamed stopReason that is not a string, as the whole answer does', async () => {
    const frames = [event('messageStart', { role: 'assistant' }), event('messageStop', { stopReason: 3 }), event('metadata', { usage })];
    await expect(parts(frames)).rejects.toEqual(eventRefusedAs('a stopReason that is not a string'));
  });
});
