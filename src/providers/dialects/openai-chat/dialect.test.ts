import { describe, expect, it } from 'vitest';
import { countingJsonParse } from '../../testing/json-parses.js';
import { readyIterator } from '../../../core/ready.js';
import { decodeChatResponse, decodeChatStream, decodeUsage, encodeUsage, mapOpenAIError } from './index.js';
import type { SseEvent } from '../../sse.js';
import { GatewayError } from '../../../core/errors.js';
import type { StreamPart, Warning } from '../../../core/types.js';
import { decodeSse } from '../../sse.js';

async function collect(events: SseEvent[]): Promise<StreamPart[]> {
  const out: StreamPart[] = [];
  for await (const p of decodeChatStream((async function* () { yield* events; })(), 'test')) out.push(p);
  return out;
}

const data = (obj: unknown): SseEvent => ({ event: undefined, data: typeof obj === 'string' ? obj : JSON.stringify(obj) });

describe('openai-chat dialect', () => {
  it('names a streamed tool call the upstream gave no id (or an empty one) by its place, as a whole answer does: a client needs it to answer the call', async () => {
    const call = (id: unknown, name: string) => data({ choices: [{ index: 0, delta: { tool_calls: [{ index: name === 'a' ? 0 : 1, ...(id === undefined ? {} : { id }), function: { name, arguments: '{}' } }] } }] });
    const parts = await collect([call(undefined, 'a'), call('', 'b'), data({ choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] }), data('[DONE]')]);
    expect(parts.filter((p) => p.type === 'tool-call').map((p) => p.id)).toEqual(['call_0', 'call_1']);
    const whole = decodeChatResponse({ choices: [{ message: { role: 'assistant', tool_calls: [{ function: { name: 'a', arguments: '{}' } }, { id: '', function: { name: 'b', arguments: '{}' } }] }, finish_reason: 'tool_calls' }] }, 'test');
    expect(whole.content.map((p) => (p.type === 'tool-call' ? p.id : undefined))).toEqual(['call_0', 'call_1']);
  });

  it('keeps cached and reasoning tokens from the wire usage', () => {
    const usage = decodeUsage({ prompt_tokens: 100, completion_tokens: 20, total_tokens: 120, prompt_tokens_details: { cached_tokens: 60 }, completion_tokens_details: { reasoning_tokens: 5 } });
    expect(usage).toEqual({ prompt: 100, completion: 20, cachedRead: 60, cachedWrite: 0, reasoning: 5, total: 120 });
    expect(encodeUsage(usage!)).toMatchObject({ prompt_tokens: 100, prompt_tokens_details: { cached_tokens: 60 }, completion_tokens_details: { reasoning_tokens: 5 } });
  });

  it('treats usage whose counts are not counts as unknown (the gateway estimates it), and cuts parts larger than their whole', () => {
    for (const prompt_tokens of [1e300, -5, 2.5, '3', null]) expect(decodeUsage({ prompt_tokens, completion_tokens: 2 }), String(prompt_tokens)).toBeUndefined();
    expect(decodeUsage({ prompt_tokens: 3, completion_tokens: 1e308 })).toBeUndefined();
    expect(decodeUsage({ prompt_tokens: 5, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 1_000_000 }, completion_tokens_details: { reasoning_tokens: 9 } })).toMatchObject({ cachedRead: 5, reasoning: 2 });
    const r = decodeChatResponse({ choices: [{ message: { role: 'assistant', content: 'x' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1e300, completion_tokens: 2 } }, 'test');
    expect(r.usageEstimated).toBe(true);
  });

  it('decodes a response with tool calls into tool-call parts and maps the legacy function_call finish reason', () => {
    const r = decodeChatResponse(
      { id: 'x', model: 'm', created: 1, choices: [{ message: { role: 'assistant', content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{}' } }] }, finish_reason: 'function_call' }] },
      'test',
    );
    expect(r.finishReason).toBe('tool_calls');
    expect(r.content).toEqual([{ type: 'tool-call', id: 't', name: 'f', arguments: '{}' }]);
    expect(r.usage.total).toBe(0);
    expect(r.usageEstimated).toBe(true);
    expect(r).not.toHaveProperty('rawUsage');
  });

  it('takes a stop with tool calls (OpenAI for a named tool_choice, some vLLM versions) for tool_calls, answered or streamed; length stays length', async () => {
    const call = { id: 't', type: 'function', function: { name: 'f', arguments: '{}' } };
    const answer = (finish_reason: string) => decodeChatResponse({ choices: [{ message: { role: 'assistant', content: null, tool_calls: [call] }, finish_reason }] }, 'test').finishReason;
    expect(answer('stop')).toBe('tool_calls');
    expect(answer('length')).toBe('length');
    const parts = await collect([
      data({ id: 'c', choices: [{ index: 0, delta: { role: 'assistant', tool_calls: [{ index: 0, ...call }] }, finish_reason: null }] }),
      data({ id: 'c', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
      data('[DONE]'),
    ]);
    expect(parts).toContainEqual({ type: 'finish', finishReason: 'tool_calls' });
    const text = await collect([data({ id: 'c', choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: 'stop' }] }), data('[DONE]')]);
    expect(text).toContainEqual({ type: 'finish', finishReason: 'stop' });
  });

  it('decodes the answer text as a text part and keeps the upstream usage object as it came', () => {
    const usage = { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3, prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 } };
    const r = decodeChatResponse({ id: 'x', model: 'm', created: 1, choices: [{ message: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop' }], usage }, 'test');
    expect(r).toEqual({ id: 'x', model: 'm', created: 1, content: [{ type: 'text', text: 'Hi' }], finishReason: 'stop', usage: { prompt: 1, completion: 2, cachedRead: 0, cachedWrite: 0, reasoning: 0, total: 3 }, rawUsage: usage });
  });

  it('decodes reasoning_content (or reasoning) of a message and of stream deltas as OpenAI reasoning', async () => {
    const r = decodeChatResponse({ choices: [{ message: { role: 'assistant', content: 'Hi', reasoning_content: 'Because.' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 2 } }, 'test');
    expect(r.content).toEqual([
      { type: 'reasoning', text: 'Because.', provider: 'openai' },
      { type: 'text', text: 'Hi' },
    ]);
    expect(r.usageEstimated).toBeUndefined();
    const parts = await collect([
      data({ id: 'c', choices: [{ index: 0, delta: { role: 'assistant', reasoning_content: 'Hm' } }] }),
      data({ id: 'c', choices: [{ index: 0, delta: { reasoning: 'm.' } }] }),
      data({ id: 'c', choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: 'stop' }] }),
      data('[DONE]'),
    ]);
    expect(parts.filter((p) => p.type === 'reasoning' || p.type === 'text')).toEqual([
      { type: 'reasoning', delta: 'Hm', provider: 'openai' },
      { type: 'reasoning', delta: 'm.', provider: 'openai' },
      { type: 'text', delta: 'Hi' },
    ]);
  });

  it('keeps a refusal apart from the answer: whole on the response, piece by piece as refusal parts of a stream', async () => {
    const r = decodeChatResponse({ choices: [{ message: { role: 'assistant', content: null, refusal: "I can't help with that." }, finish_reason: 'stop' }] }, 'test');
    expect(r.refusal).toBe("I can't help with that.");
    expect(r.content).toEqual([]);
    // OpenAI's refusal stream: the role chunk opens it empty, the words follow as they come.
    const parts = await collect([
      data({ id: 'c', choices: [{ index: 0, delta: { role: 'assistant', content: null, refusal: '' } }] }),
      data({ id: 'c', choices: [{ index: 0, delta: { refusal: "I can't" } }] }),
      data({ id: 'c', choices: [{ index: 0, delta: { refusal: ' help with that.' } }] }),
      data({ id: 'c', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
      data('[DONE]'),
    ]);
    expect(parts.slice(1)).toEqual([
      { type: 'refusal', delta: "I can't" },
      { type: 'refusal', delta: ' help with that.' },
      { type: 'finish', finishReason: 'stop' },
    ]);
  });

  it('takes an empty refusal beside an answer for no refusal, as a stream does', () => {
    const r = decodeChatResponse({ choices: [{ message: { role: 'assistant', content: 'Sure.', refusal: '' }, finish_reason: 'stop' }] }, 'test');
    expect(r.refusal).toBeUndefined();
    expect(r.content).toEqual([{ type: 'text', text: 'Sure.' }]);
  });

  it('puts the encoding warnings on the response and on the start part of a stream', async () => {
    const warnings: Warning[] = [{ type: 'unsupported-setting', setting: 'topK', message: 'dropped' }];
    const r = decodeChatResponse({ choices: [{ message: { content: 'Hi' }, finish_reason: 'stop' }] }, 'test', warnings);
    expect(r.warnings).toBe(warnings);
    const parts: StreamPart[] = [];
    const events = [data({ id: 'c', model: 'm', choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: 'stop' }] }), data('[DONE]')];
    for await (const p of decodeChatStream((async function* () { yield* events; })(), 'test', warnings)) parts.push(p);
    expect(parts[0]).toEqual({ type: 'start', id: 'c', model: 'm', warnings });
  });

  it("keeps Azure's prompt and output filter results as azure provider metadata", () => {
    const promptResults = [{ prompt_index: 0, content_filter_results: { jailbreak: { filtered: false, detected: false } } }];
    const output = { violence: { filtered: true, severity: 'high' } };
    const r = decodeChatResponse({ choices: [{ message: { content: 'x' }, finish_reason: 'content_filter', content_filter_results: output }], prompt_filter_results: promptResults }, 'test');
    expect(r.providerMetadata).toEqual({ azure: { prompt_filter_results: promptResults, content_filter_results: output } });
    expect(decodeChatResponse({ choices: [{ message: { content: 'x' } }] }, 'test')).not.toHaveProperty('providerMetadata');
  });

  it('refuses a response without choices as a bad upstream response', () => {
    expect(() => decodeChatResponse({ id: 'x' }, 'test')).toThrowError(expect.objectContaining({ kind: 'bad_upstream_response' }));
  });

  it("takes a 200 answer that carries OpenAI's error object for the upstream's failure, as a stream's error chunk is, with its words kept for the log only", () => {
    const decode = (): unknown => decodeChatResponse({ error: { message: 'The server had an error sk-proj-0123456789abcdefghijklmnop', type: 'server_error', code: null } }, 'test');
    expect(decode).toThrowError(expect.objectContaining({ kind: 'upstream_error', retryable: true, message: 'Upstream test failed with a server error (HTTP 200).' }));
    expect(decode).toThrowError(expect.objectContaining({ upstreamText: expect.not.stringContaining('sk-proj') }));
  });

  it('decodes a stream into typed parts, skipping an empty first chunk with only filter results', async () => {
    const parts = await collect([
      data({ id: 'c', choices: [], prompt_filter_results: [] }),
      data({ id: 'c', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' } }] }),
      data({ id: 'c', choices: [{ index: 0, delta: { content: 'lo' } }] }),
      data({ id: 'c', choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 't1', function: { name: 'f', arguments: '{"a"' } }] } }] }),
      data({ id: 'c', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
      data({ id: 'c', choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } }),
      data('[DONE]'),
    ]);
    expect(parts.map((p) => p.type)).toEqual(['start', 'text', 'text', 'tool-call', 'finish', 'usage']);
    expect(parts[3]).toEqual({ type: 'tool-call', index: 0, id: 't1', name: 'f', argumentsDelta: '{"a"' });
    expect(parts[5]).toEqual({
      type: 'usage',
      usage: { prompt: 3, completion: 2, cachedRead: 0, cachedWrite: 0, reasoning: 0, total: 5 },
      raw: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    });
  });

  it('treats a stream that ends without [DONE] as truncated', async () => {
    await expect(collect([data({ id: 'c', choices: [{ index: 0, delta: { content: 'Hel' } }] })])).rejects.toSatisfy(
      (e) => GatewayError.isInstance(e) && e.kind === 'network',
    );
  });

  it('surfaces an error chunk mid-stream as an error in our words, keeping the upstream text apart', async () => {
    await expect(collect([data({ error: { message: 'boom' } })])).rejects.toMatchObject({
      kind: 'upstream_error',
      message: 'Upstream test failed with a server error mid-stream.',
      upstreamText: 'boom',
    });
  });

  it('maps error statuses and codes into the taxonomy', () => {
    const kind = (status: number, body: unknown = {}, headers: Record<string, string> = {}) => mapOpenAIError(status, headers, body, 'p');
    expect(kind(429, {}, { 'retry-after-ms': '1500' })).toMatchObject({ kind: 'rate_limited', retryAfterMs: 1500, retryable: true });
    expect(kind(429, { error: { code: 'insufficient_quota' } })).toMatchObject({ kind: 'rate_limited', retryable: false });
    expect(kind(400, { error: { code: 'context_length_exceeded' } }).kind).toBe('context_window_exceeded');
    expect(kind(400, { error: { code: 'content_filter', innererror: { code: 'ResponsibleAIPolicyViolation' } } }).kind).toBe('content_filtered');
    expect(kind(400).kind).toBe('invalid_request');
    // Too large for the upstream: a client error no retry can fix, not a 502.
    expect(kind(413)).toMatchObject({ kind: 'invalid_request', status: 400, retryable: false });
    expect(kind(401).kind).toBe('authentication');
    expect(kind(404)).toMatchObject({ kind: 'not_found', fallbackable: true });
    expect(kind(503).kind).toBe('unavailable');
    expect(kind(529).kind).toBe('overloaded');
    expect(kind(500).kind).toBe('upstream_error');
  });

  it('decodes SSE split across reads, with CRLF, comments and multi-line data', async () => {
    const enc = new TextEncoder();
    const pieces = [': ping\r\n\r\nda', 'ta: {"a":\r\ndata: 1}\r\n', '\r\nevent: x\ndata: y\n\n'];
    const out: SseEvent[] = [];
    for await (const e of decodeSse((async function* () { for (const p of pieces) yield enc.encode(p); })())) out.push(e);
    expect(out).toEqual([{ event: undefined, data: '{"a":\n1}' }, { event: 'x', data: 'y' }]);
  });
});

describe('decodeChatStream over a raw SSE body', () => {
  const enc = new TextEncoder();
  const body = (pieces: string[]): AsyncGenerator<Uint8Array> => (async function* () { for (const p of pieces) yield enc.encode(p); })();
  const frame = (obj: unknown): string => `data: ${JSON.stringify(obj)}\n\n`;

  it('decodes events split across reads, including a multi-byte character cut in two', async () => {
    const text = frame({ id: 'c', model: 'm', choices: [{ delta: { content: 'héllo' } }] });
    const cut = enc.encode(text);
    const at = text.indexOf('é') + 1; // between the two bytes of é (only ASCII before it)
    const pieces = async function* (): AsyncGenerator<Uint8Array> {
      yield cut.slice(0, at);
      yield cut.slice(at);
      yield enc.encode(`${frame({ choices: [{ delta: {}, finish_reason: 'stop' }] })}data: [DONE]\n\n`);
    };
    const out: StreamPart[] = [];
    for await (const p of decodeChatStream(decodeSse(pieces()), 'test')) out.push(p);
    expect(out).toEqual([{ type: 'start', id: 'c', model: 'm' }, { type: 'text', delta: 'héllo' }, { type: 'finish', finishReason: 'stop' }]);
  });

  it('raises a bad chunk after the parts before it in the same read, then is done', async () => {
    const it = decodeChatStream(decodeSse(body([`${frame({ choices: [{ delta: { content: 'a' } }] })}data: {oops\n\ndata: [DONE]\n\n`])), 'test');
    expect((await it.next()).value).toMatchObject({ type: 'start' });
    expect((await it.next()).value).toEqual({ type: 'text', delta: 'a' });
    await expect(it.next()).rejects.toMatchObject({ kind: 'bad_upstream_response' });
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  it('hands out the rest of a read\'s parts without a promise, and leaves a bad chunk in it to next()', async () => {
    const it = decodeChatStream(decodeSse(body([`${frame({ choices: [{ delta: { content: 'a' } }] })}${frame({ choices: [{ delta: { content: 'b' } }] })}data: {oops\n\n`])), 'test');
    const ready = readyIterator(it);
    expect(ready?.takeReady()).toBeUndefined(); // nothing read yet
    expect((await it.next()).value).toMatchObject({ type: 'start' });
    expect(ready?.takeReady()).toEqual({ type: 'text', delta: 'a' });
    expect(ready?.takeReady()).toEqual({ type: 'text', delta: 'b' });
    expect(ready?.takeReady()).toBeUndefined();
    await expect(it.next()).rejects.toMatchObject({ kind: 'bad_upstream_response' });
  });

  it('treats a body that ends without [DONE] as a truncation', async () => {
    const out: StreamPart[] = [];
    const run = async (): Promise<void> => {
      for await (const p of decodeChatStream(decodeSse(body([frame({ choices: [{ delta: { content: 'a' } }] })])), 'test')) out.push(p);
    };
    await expect(run()).rejects.toMatchObject({ kind: 'network' });
    expect(out.map((p) => p.type)).toEqual(['start', 'text']);
  });

  it('ends at [DONE], releasing the body without waiting for its end, and releases it when the consumer stops early', async () => {
    let read = 0;
    let released = false;
    const src = async function* (): AsyncGenerator<Uint8Array> {
      try {
        for (const p of [frame({ choices: [{ delta: { content: 'a' } }] }), frame({ choices: [{ delta: { content: 'b' } }] }), 'data: [DONE]\n\n', ': trailing\n\n']) {
          read += 1;
          yield enc.encode(p);
        }
      } finally {
        released = true;
      }
    };
    const all: StreamPart[] = [];
    for await (const p of decodeChatStream(decodeSse(src()), 'test')) all.push(p);
    expect(all.filter((p) => p.type === 'text')).toHaveLength(2);
    expect(read).toBe(3);
    expect(released).toBe(true);
    read = 0;
    released = false;
    for await (const p of decodeChatStream(decodeSse(src()), 'test')) if (p.type === 'text') break;
    expect(read).toBe(1);
    expect(released).toBe(true);
  });
});

describe('decodeChatStream on a run of chunks that differ only in their token', () => {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null): SseEvent =>
    data({ id: 'chatcmpl-9', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });

  /** The parts of `events` and how many times JSON.parse ran for them. */
  async function decodeCounting(events: SseEvent[]): Promise<{ parts: StreamPart[]; parses: number }> {
    const { result: parts, parses } = await countingJsonParse(() => collect(events));
    return { parts, parses };
  }

  it('parses two token chunks to learn their shape and reads the rest without JSON.parse', async () => {
    const words = ['Once', ' upon', ' a', ' time', ' there', ' was', ' "quoted"\n', ' café', '', ' end'];
    const { parts, parses } = await decodeCounting([chunk({ role: 'assistant', content: '' }), ...words.map((w) => chunk({ content: w })), chunk({}, 'stop'), data('[DONE]')]);
    expect(parts).toEqual([
      { type: 'start', id: 'chatcmpl-9', model: 'm' },
      ...words.filter((w) => w !== '').map((delta) => ({ type: 'text', delta })),
      { type: 'finish', finishReason: 'stop' },
    ]);
    // The role chunk, two to learn, one escaped token, the finish chunk.
    expect(parses).toBe(5);
  });

  it('learns reasoning and tool-argument runs too, an empty argument piece still making its part', async () => {
    const reasoning = ['Let', ' me', ' think', '.'];
    const args = ['{"q', 'uery"', ':', '', '"cats"}'];
    const { parts, parses } = await decodeCounting([
      chunk({ role: 'assistant', content: null }),
      ...reasoning.map((r) => chunk({ reasoning_content: r })),
      chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'search', arguments: '' } }] }),
      ...args.map((a) => chunk({ tool_calls: [{ index: 0, function: { arguments: a } }] })),
      chunk({}, 'tool_calls'),
      data('[DONE]'),
    ]);
    expect(parts).toEqual([
      { type: 'start', id: 'chatcmpl-9', model: 'm' },
      ...reasoning.map((delta) => ({ type: 'reasoning', delta, provider: 'openai' })),
      { type: 'tool-call', index: 0, id: 'call_1', name: 'search', argumentsDelta: '' },
      ...args.map((argumentsDelta) => ({ type: 'tool-call', index: 0, id: undefined, name: undefined, argumentsDelta })),
      { type: 'finish', finishReason: 'tool_calls' },
    ]);
    expect(parses).toBeLessThan(1 + reasoning.length + 1 + args.length + 1);
  });

  it("reads OpenAI's chunks by shape too, each padded with a random obfuscation member", async () => {
    const words = ['It', ' was', ' a', ' dark', ' and', ' stormy', ' night'];
    const padded = (delta: Record<string, unknown>, i: number, finish: string | null = null): SseEvent =>
      data({ id: 'chatcmpl-9', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', service_tier: 'default', system_fingerprint: 'fp_1', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], obfuscation: 'xK9'.repeat(i % 4) });
    const { parts, parses } = await decodeCounting([
      padded({ role: 'assistant', content: '', refusal: null }, 0),
      ...words.map((w, i) => padded({ content: w }, i + 1)),
      data('{"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"gpt-4o","service_tier":"default","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":" again"},"logprobs":null,"finish_reason":null}],"obfuscation":"a\\"b"}'),
      padded({}, 9, 'stop'),
      data('[DONE]'),
    ]);
    expect(parts).toEqual([{ type: 'start', id: 'chatcmpl-9', model: 'gpt-4o', servedAs: { systemFingerprint: 'fp_1', serviceTier: 'default' } }, ...[...words, ' again'].map((delta) => ({ type: 'text', delta })), { type: 'finish', finishReason: 'stop' }]);
    // The role chunk, two to learn, the one whose padding has an escape, the finish chunk.
    expect(parses).toBe(5);
  });

  it('parses any chunk that departs from the learned shape: a finish, a refusal, usage, another choice', async () => {
    const { parts } = await decodeCounting([
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'a' }),
      chunk({ content: 'b' }),
      chunk({ content: 'c' }, 'length'),
      chunk({ content: 'd', refusal: 'No' }),
      data({ id: 'chatcmpl-9', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: 'e' }, logprobs: null, finish_reason: null }], usage: { prompt_tokens: 1, completion_tokens: 5, total_tokens: 6 } }),
      chunk({ content: 'f' }),
      chunk({}, 'stop'),
      data('[DONE]'),
    ]);
    expect(parts.map((p) => (p.type === 'text' ? p.delta : p.type))).toEqual(['start', 'a', 'b', 'c', 'finish', 'd', 'refusal', 'e', 'usage', 'f', 'finish']);
    expect(parts[6]).toEqual({ type: 'refusal', delta: 'No' });
  });

  it('reads refusal pieces after learned text chunks as refusal parts, never as text', async () => {
    const { parts } = await decodeCounting([
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'a' }),
      chunk({ content: 'b' }),
      chunk({ refusal: 'No' }),
      chunk({ refusal: ', sorry' }),
      chunk({}, 'stop'),
      data('[DONE]'),
    ]);
    expect(parts.slice(1)).toEqual([
      { type: 'text', delta: 'a' },
      { type: 'text', delta: 'b' },
      { type: 'refusal', delta: 'No' },
      { type: 'refusal', delta: ', sorry' },
      { type: 'finish', finishReason: 'stop' },
    ]);
  });
});

describe('SseParser', () => {
  it('refuses a line that never ends instead of buffering it without bound', async () => {
    const { SseParser } = await import('../../sse.js');
    const parser = new SseParser();
    const enc = new TextEncoder();
    expect(parser.push(enc.encode('data: {"a":1}\n\n'))).toEqual([{ event: undefined, data: '{"a":1}' }]);
    const huge = enc.encode('data: ' + 'x'.repeat(9 * 1024 * 1024));
    expect(() => parser.push(huge)).toThrowError(expect.objectContaining({ kind: 'bad_upstream_response' }));
  });

  it('refuses an event whose data lines add up past the bound, each line short', async () => {
    const { SseParser } = await import('../../sse.js');
    const parser = new SseParser();
    const line = new TextEncoder().encode(`data: ${'x'.repeat(1024 * 1024)}\n`);
    expect(() => {
      for (let i = 0; i < 9; i++) parser.push(line);
    }).toThrowError(expect.objectContaining({ kind: 'bad_upstream_response' }));
  });
});

describe('an upstream error text shown by an exposing deployment', () => {
  it('leaves an exposing deployment\'s client message free of control characters', () => {
    const error = mapOpenAIError(400, {}, { error: { message: 'Invalid \u001b]8;;https://evil.example\u0007link\u001b]8;;\u0007 value' } }, 'openai-compatible');
    const shown = error.clientMessage(true);
    expect(shown).toContain('Upstream said: Invalid ');
    const controls = [...shown].map((ch) => ch.charCodeAt(0)).filter((c) => (c < 0x20 && c !== 9 && c !== 10) || (c >= 0x7f && c <= 0x9f));
    expect(controls).toEqual([]);
  });
});

describe('openai-chat replies whose answer fields have the wrong JSON type', () => {
  const answer = (message: Record<string, unknown>, finish_reason: unknown = 'stop') => ({ choices: [{ message: { role: 'assistant', ...message }, finish_reason }] });
  const refusedAs = (what: string) => expect.objectContaining({ kind: 'bad_upstream_response', message: `Upstream test returned a malformed response: ${what}.` });
  const streamed = async (chunks: unknown[]) => collect([...chunks.map(data), data('[DONE]')]);
  const chunkRefusedAs = (what: string) => expect.objectContaining({ kind: 'bad_upstream_response', message: `Upstream test sent a malformed stream chunk: ${what}.` });

  it('refuses message content that is neither text nor null, never serving it as an empty answer', () => {
    for (const content of [5, ['x'], { text: 'x' }, true]) expect(() => decodeChatResponse(answer({ content }), 'test'), JSON.stringify(content)).toThrowError(refusedAs('message content that is not text'));
    const call = { id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } };
    expect(decodeChatResponse(answer({ content: null, tool_calls: [call] }, 'tool_calls'), 'test').content).toMatchObject([{ type: 'tool-call', name: 'f' }]);
    expect(decodeChatResponse(answer({ content: null, refusal: 'no' }), 'test').refusal).toBe('no');
  });

  it('refuses tool_calls that are not a list', () => {
    expect(() => decodeChatResponse(answer({ content: null, tool_calls: { id: 'c', function: { name: 'f', arguments: '{}' } } }, 'tool_calls'), 'test')).toThrowError(refusedAs('tool_calls that are not a list'));
  });

  it('refuses tool call arguments that are not JSON text (an object, as Ollama\'s own API sends), whole and streamed', async () => {
    const call = { id: 'c', type: 'function', function: { name: 'f', arguments: { city: 'Paris' } } };
    expect(() => decodeChatResponse(answer({ content: null, tool_calls: [call] }, 'tool_calls'), 'test')).toThrowError(refusedAs('tool call arguments that are not a string'));
    await expect(streamed([{ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, ...call }] } }] }])).rejects.toEqual(chunkRefusedAs('tool call arguments that are not a string'));
  });

  it('refuses a finish_reason that is not a string, whole and streamed', async () => {
    expect(() => decodeChatResponse(answer({ content: 'hi' }, 1), 'test')).toThrowError(refusedAs('a finish_reason that is not a string'));
    await expect(streamed([{ choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: 1 }] }])).rejects.toEqual(chunkRefusedAs('a finish_reason that is not a string'));
  });

  it('refuses streamed delta content that is neither text nor null, also after the text chunks\' shape was learned', async () => {
    const text = (content: unknown) => ({ id: 'x', choices: [{ index: 0, delta: { content } }] });
    await expect(streamed([text(5)])).rejects.toEqual(chunkRefusedAs('delta content that is not text'));
    await expect(streamed([text('a'), text('b'), text('c'), text(['d'])])).rejects.toEqual(chunkRefusedAs('delta content that is not text'));
    const parts = await streamed([{ choices: [{ index: 0, delta: { role: 'assistant', content: null } }] }, { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }]);
    expect(parts.map((p) => p.type)).toEqual(['start', 'finish']);
  });
});
