import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { GatewayError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { CallContext, Provider } from '../../core/provider.js';
import { textOf, type ChatRequest, type StreamPart } from '../../core/types.js';
import { startAnthropicSim, type AnthropicSimServer } from '../../sim/anthropic/index.js';
import { REDACTED_THINKING_TRIGGER } from '../../sim/anthropic/blocks.js';
import { anthropic, type AnthropicOptions } from './index.js';

function recordingLogger(warnings: string[]): Logger {
  const logger: Logger = { debug() {}, info() {}, error() {}, warn: (_obj, msg) => warnings.push(msg ?? ''), child: () => logger };
  return logger;
}

const ctx = (): CallContext => ({ signal: new AbortController().signal, requestId: 'test' });
const ask = (content: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({ model: 'x', messages: [{ role: 'user', content: [{ type: 'text', text: content }] }], ...extra });

async function drain(stream: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const parts: StreamPart[] = [];
  for await (const p of stream) parts.push(p);
  return parts;
}

describe('anthropic provider', () => {
  let sim: AnthropicSimServer;
  const providers: Provider[] = [];

  function make(extra: Record<string, unknown>, warnings: string[] = []): Provider {
    const parsed = parseConfig({ deployments: [{ id: 'a', provider: 'anthropic', model: 'claude-sonnet-4-6', endpoint: sim.url, api_key: '${KEY}', ...extra }] }, { KEY: 'sk-ant-p' });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const d = parsed.config.deployments[0]!;
    const p = anthropic.create(d, d.options as AnthropicOptions, { logger: recordingLogger(warnings) });
    providers.push(p);
    return p;
  }

  beforeAll(async () => {
    sim = await startAnthropicSim({ apiKey: 'sk-ant-p', models: ['claude-sonnet-4-6', 'claude-haiku-4-5', 'claude-opus-4-7'] });
  });
  afterAll(async () => {
    await Promise.all(providers.map((p) => p.close()));
    await sim.close();
  });

  it('sends the attempt\'s traceparent and tracestate upstream on calls and streams, and none when there is none', async () => {
    const p = make({});
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const tracestate = 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE';
    await p.chat(ask('hi'), { ...ctx(), traceparent, tracestate });
    expect(sim.lastRequest?.headers).toMatchObject({ traceparent, tracestate });
    await drain(await p.stream(ask('hi'), ctx()));
    expect(sim.lastRequest?.headers.traceparent).toBeUndefined();
    expect(sim.lastRequest?.headers.tracestate).toBeUndefined();
    await drain(await p.stream(ask('hi'), { ...ctx(), traceparent, tracestate }));
    expect(sim.lastRequest?.headers).toMatchObject({ traceparent, tracestate, 'x-api-key': 'sk-ant-p' });
  });

  it('sends x-api-key, version 2023-06-01 and sampling parameters by default', async () => {
    const r = await make({}).chat(ask('hi', { temperature: 0.3, topK: 20 }), ctx());
    expect(textOf(r.content)).toContain('You said: hi');
    expect(r.warnings).toBeUndefined();
    expect(sim.observed.last).toMatchObject({ auth: 'x-api-key', version: '2023-06-01', body: { temperature: 0.3, top_k: 20, max_tokens: 4096 } });
    await make({}).chat(ask('hi', { topP: 0.9 }), ctx());
    expect(sim.observed.last).toMatchObject({ body: { top_p: 0.9 } });
  });

  it('under 2026-10-21 sends the key as Bearer and omits sampling parameters, reporting Warnings and logging once', async () => {
    const warnings: string[] = [];
    const p = make({ anthropic_version: '2026-10-21', max_tokens: 256 }, warnings);
    const first = await p.chat(ask('one', { temperature: 0.3 }), ctx());
    await p.chat(ask('two', { topP: 0.5 }), ctx());
    expect(first.warnings).toEqual([{ type: 'unsupported-setting', setting: 'temperature', message: expect.any(String) }]);
    const parts = await drain(await p.stream(ask('three', { topK: 5 }), ctx()));
    expect(parts[0]).toMatchObject({ type: 'start', warnings: [{ type: 'unsupported-setting', setting: 'topK' }] });
    expect(sim.observed.last?.auth).toBe('bearer');
    expect(sim.observed.last?.version).toBe('2026-10-21');
    expect(sim.observed.last?.body).not.toHaveProperty('top_p');
    expect(sim.observed.last?.body.max_tokens).toBe(256);
    expect(warnings.filter((w) => w.includes('temperature/top_p/top_k'))).toHaveLength(1);
  });

  it('normalises prompt-cache usage: prompt includes cache writes and reads', async () => {
    const p = make({});
    const messages: ChatRequest['messages'] = [
      { role: 'system', content: [{ type: 'text', text: '[cache] a stable system prompt for caching' }] },
      { role: 'user', content: [{ type: 'text', text: 'q' }] },
    ];
    const first = await p.chat({ model: 'x', messages }, ctx());
    const second = await p.chat({ model: 'x', messages }, ctx());
    expect(first.usage.cachedWrite).toBeGreaterThan(0);
    expect(second.usage.cachedRead).toBe(first.usage.cachedWrite);
    expect(second.usage.prompt).toBe(first.usage.prompt);
    expect(second.rawUsage).toMatchObject({ cache_read_input_tokens: second.usage.cachedRead });
  });

  it('streams text with finish and cache-inclusive usage', async () => {
    const p = make({});
    const plain = await p.chat(ask('stream me'), ctx());
    const parts = await drain(await p.stream(ask('stream me'), ctx()));
    const text = parts.map((x) => (x.type === 'text' ? x.delta : '')).join('');
    expect(text).toBe(textOf(plain.content));
    expect(parts.find((x) => x.type === 'finish')).toEqual({ type: 'finish', finishReason: 'stop' });
    expect(parts.at(-1)).toMatchObject({ type: 'usage', usage: plain.usage, raw: { output_tokens: plain.usage.completion } });
  });

  it("keeps Claude's redacted thinking as a redacted reasoning part, whole and streamed, and sends it back in the next turn", async () => {
    const p = make({});
    const question = ask(`Hello ${REDACTED_THINKING_TRIGGER}`, { reasoning: { enabled: true, budgetTokens: 1024 }, maxOutputTokens: 2048 });
    const r = await p.chat(question, ctx());
    const redacted = r.content.filter((part) => part.type === 'redacted-reasoning');
    expect(redacted).toEqual([{ type: 'redacted-reasoning', data: expect.any(String), provider: 'anthropic' }]);
    const parts = await drain(await p.stream(question, ctx()));
    expect(parts.filter((part) => part.type === 'redacted-reasoning')).toEqual(redacted);
    const next = await p.chat({ ...question, messages: [...question.messages, { role: 'assistant', content: r.content }, { role: 'user', content: [{ type: 'text', text: 'Again' }] }] }, ctx());
    expect(textOf(next.content)).toContain('You said: Again');
    const sent = JSON.parse(sim.lastRequest?.body.toString() ?? '{}') as { messages: Array<{ content: Array<{ type: string }> }> };
    expect(sent.messages[1]?.content.map((b) => b.type)).toEqual(['thinking', 'redacted_thinking', 'text']);
  });

  it('maps 529 to overloaded and 429 to rate_limited with retry-after', async () => {
    const p = make({});
    sim.faults.add({ status: 529, count: 1 });
    const overloaded = await p.chat(ask('x'), ctx()).catch((e: unknown) => e);
    expect(GatewayError.isInstance(overloaded) && overloaded.kind).toBe('overloaded');
    sim.faults.add({ status: 429, retry_after_s: 2, count: 1 });
    const limited = await p.stream(ask('x'), ctx()).catch((e: unknown) => e);
    expect(GatewayError.isInstance(limited) && [limited.kind, limited.retryAfterMs]).toEqual(['rate_limited', 2000]);
  });

  it('throws an in-stream error event from the iterator, after content', async () => {
    const p = make({});
    sim.faults.add({ stream_error_after_chunks: 1, count: 1 });
    const parts: StreamPart[] = [];
    const err = await (async () => {
      for await (const part of await p.stream(ask('break me please'), ctx())) parts.push(part);
    })().catch((e: unknown) => e);
    expect(parts.some((x) => x.type === 'text')).toBe(true);
    expect(GatewayError.isInstance(err) && err.kind).toBe('overloaded');
  });

  it('treats a cut stream as a network error, never a clean end', async () => {
    const p = make({});
    // The inter-chunk pause lets the first bytes leave before the cut, so the break happens mid-iteration.
    sim.faults.add({ cut_after_chunks: 2, inter_chunk_ms: 20, count: 1 });
    const stream = await p.stream(ask('cut me off here'), ctx());
    const parts: StreamPart[] = [];
    const err = await (async () => {
      for await (const part of stream) parts.push(part);
    })().catch((e: unknown) => e);
    expect(parts.some((x) => x.type === 'text')).toBe(true);
    expect(GatewayError.isInstance(err) && err.kind).toBe('network');
  });

  it('maps a wrong key to authentication and an unknown model to not_found', async () => {
    const parsed = parseConfig({ deployments: [{ id: 'b', provider: 'anthropic', model: 'claude-sonnet-4-6', endpoint: sim.url, api_key: '${KEY}' }] }, { KEY: 'wrong' });
    if (!parsed.ok) throw new Error('config');
    const d = parsed.config.deployments[0]!;
    const wrong = anthropic.create(d, d.options as AnthropicOptions, { logger: recordingLogger([]) });
    providers.push(wrong);
    expect(await wrong.chat(ask('x'), ctx()).catch((e: GatewayError) => e.kind)).toBe('authentication');
    expect(await make({ model: 'claude-nope' }).chat(ask('x'), ctx()).catch((e: GatewayError) => e.kind)).toBe('not_found');
  });

  it('lists models across pages and probes with GET /v1/models', async () => {
    const p = make({});
    const before = sim.stats.requests['GET /v1/models'] ?? 0;
    await p.probe(ctx());
    expect((await p.listModels(ctx())).map((m) => m.id)).toEqual(['claude-sonnet-4-6', 'claude-haiku-4-5', 'claude-opus-4-7']);
    expect((sim.stats.requests['GET /v1/models'] ?? 0) - before).toBeGreaterThanOrEqual(2);
  });

  it('refuses embeddings before sending, as the capability filter would: a 400 naming model that the group’s next deployment may still serve', async () => {
    const err = await make({}).embed({ model: 'x', input: ['a'] }, ctx()).catch((e: unknown) => e);
    expect(GatewayError.isInstance(err) && [err.kind, err.code, err.param, err.fallbackable, err.unsent]).toEqual(['invalid_request', 'unsupported_capability', 'model', true, true]);
  });

  it('accepts an endpoint given with a trailing /v1', async () => {
    const r = await make({ endpoint: `${sim.url}/v1/` }).chat(ask('hi'), ctx());
    expect(r.finishReason).toBe('stop');
  });
  it('counts input tokens with /v1/messages/count_tokens, sending only the prompt fields, as the chat call is billed', async () => {
    const p = make({ anthropic_version: '2026-10-21' });
    const request = ask('hello there', {
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
        { role: 'user', content: [{ type: 'text', text: 'hello there' }] },
      ],
      tools: [{ name: 'lookup', parameters: { type: 'object', properties: { query: { type: 'string' } } } }],
      toolChoice: { type: 'auto' },
      maxOutputTokens: 64,
      temperature: 0.5,
      stopSequences: ['END'],
      user: 'u-1',
    });
    const counted = await p.countTokens?.(request, ctx());
    expect(sim.lastRequest?.path).toBe('/v1/messages/count_tokens');
    expect(Object.keys(sim.observed.last?.body ?? {}).sort()).toEqual(['messages', 'model', 'system', 'tools']);
    expect(sim.observed.last).toMatchObject({ auth: 'bearer', version: '2026-10-21', body: { model: 'claude-sonnet-4-6', system: 'Be brief.' } });
    const answered = await p.chat(request, ctx());
    expect(counted).toBe(answered.usage.prompt);
  });

  it('counts a structured-output request with the output_config.format its chat call sends, which the counter takes', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
    const request = ask('Book Paris', { responseFormat: { type: 'json', name: 'booking', schema } });
    const counted = await make({}).countTokens?.(request, ctx());
    expect(sim.observed.last?.body).toEqual({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: [{ type: 'text', text: 'Book Paris' }] }], output_config: { format: { type: 'json_schema', schema } } });
    expect(counted).toBe((await make({}).chat(request, ctx())).usage.prompt);
  });

  it('maps a refused count like a refused call: an unknown model is not_found', async () => {
    const err = await make({ model: 'claude-nope' }).countTokens?.(ask('x'), ctx()).catch((e: unknown) => e);
    expect(GatewayError.isInstance(err) && err.kind).toBe('not_found');
  });
});
