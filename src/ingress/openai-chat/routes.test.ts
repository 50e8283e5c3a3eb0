import { describe, expect, it } from 'vitest';
import type { ChatRequest, ChatResponse, EmbeddingRequest, StreamPart } from '../../core/types.js';
import { makeUsage } from '../../core/types.js';
import { GatewayError } from '../../core/errors.js';
import type { Gateway, RequestOptions, ServedBy } from '../../gateway/gateway.js';
import type { BodyStream, HttpResponse } from '../../http/exchange.js';
import type { RouteContext } from '../../http/route.js';
import { OPENAI_CHAT_ROUTES } from './routes.js';

/*
 * The door end to end against a gateway that records what it is given: the canonical request and
 * routing options go in, canonical answers come back, and the client sees OpenAI's bytes.
 */

const SERVED: ServedBy = { deployment: 'd1', provider: 'openai-compatible', region: undefined, model: 'gpt-x', group: undefined, attempts: 1, requestId: 'req-1' };
const USAGE = makeUsage({ prompt: 3, completion: 2 });

interface Recorded {
  request?: ChatRequest | EmbeddingRequest;
  options?: RequestOptions;
}

function fakeGateway(recorded: Recorded, parts: StreamPart[] = [], more: Partial<ChatResponse> = {}): Gateway {
  const answer: ChatResponse = { id: 'up-1', model: 'gpt-x', created: 7, content: [{ type: 'text', text: 'Hi!' }], finishReason: 'stop', usage: USAGE, ...more };
  async function* stream(): AsyncGenerator<StreamPart> {
    yield* parts;
  }
  const gateway = {
    config: { groups: [], deployments: [] },
    chat: async (request: ChatRequest, options: RequestOptions) => {
      Object.assign(recorded, { request, options });
      return { response: answer, servedBy: SERVED };
    },
    stream: async (request: ChatRequest, options: RequestOptions) => {
      Object.assign(recorded, { request, options });
      return { parts: stream(), servedBy: SERVED };
    },
    embed: async (request: EmbeddingRequest, options: RequestOptions) => {
      Object.assign(recorded, { request, options });
      return { response: { model: 'e', embeddings: [[0.5, -1]], usage: makeUsage({ prompt: 2 }) }, servedBy: SERVED };
    },
  };
  return gateway as unknown as Gateway;
}

async function call(path: string, body: unknown, gateway: Gateway, headers: Record<string, string> = {}): Promise<HttpResponse> {
  const route = OPENAI_CHAT_ROUTES.find((r) => r.path === path);
  if (!route) throw new Error(`no route ${path}`);
  const bytes = Buffer.from(JSON.stringify(body));
  const ctx: RouteContext = {
    request: { method: 'POST', path, query: '', headers, body: bytes, signal: new AbortController().signal },
    gateway,
    caller: { keyId: undefined, residency: undefined, tags: {}, role: 'admin', access: { groups: new Set(), directEnabled: true, direct: new Map(), models: [] } },
    callerNow() {
      return this.caller;
    },
    requestId: 'req-1',
    costOf: undefined,
    conversations: () => undefined,
    query: new URLSearchParams(),
    params: {},
    routePath: path,
    servedBy: undefined,
    body: async () => bytes,
    streamEnded: () => undefined,
    beforeEnd: () => undefined,
    internalError: () => undefined,
  };
  return route.handle(ctx);
}

async function frames(body: HttpResponse['body']): Promise<string> {
  let out = '';
  for await (const frame of body as BodyStream) out += frame;
  return out;
}

describe('the chat completions route', () => {
  it('hands the gateway the canonical request and answers with the chat.completion bytes', async () => {
    const recorded: Recorded = {};
    const res = await call('/v1/chat/completions', { model: 'chat', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 5 }, fakeGateway(recorded));
    expect(recorded.request).toEqual({ model: 'chat', messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }], maxOutputTokens: 5 });
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({ 'x-switchyard-deployment': 'd1', 'content-type': 'application/json' });
    expect(res.body).toBe(
      '{"id":"chatcmpl-req-1","object":"chat.completion","created":7,"model":"chat","choices":[{"index":0,"message":{"role":"assistant","content":"Hi!","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],' +
        '"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},' +
        '"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":null,"system_fingerprint":null}',
    );
  });

  it("names the upstream's system_fingerprint and service_tier, whole and on every chunk, where it reported them", async () => {
    const servedAs = { systemFingerprint: 'fp_44709d6fcb', serviceTier: 'default' };
    const whole = await call('/v1/chat/completions', { model: 'chat', messages: [{ role: 'user', content: 'Hello' }] }, fakeGateway({}, [], { servedAs }));
    expect(JSON.parse(String(whole.body))).toMatchObject({ service_tier: 'default', system_fingerprint: 'fp_44709d6fcb' });
    const parts: StreamPart[] = [{ type: 'start', id: 'up', model: 'gpt-x', servedAs }, { type: 'text', delta: 'Hi' }, { type: 'text', delta: '!' }, { type: 'finish', finishReason: 'stop' }, { type: 'usage', usage: USAGE }];
    const streamed = await call('/v1/chat/completions', { model: 'chat', messages: [{ role: 'user', content: 'x' }], stream: true, stream_options: { include_usage: true } }, fakeGateway({}, parts));
    const chunks = (await frames(streamed.body)).split('\n\n').filter((f) => f.startsWith('data: {')).map((f) => JSON.parse(f.slice(6)) as Record<string, unknown>);
    expect(chunks.length).toBe(5);
    for (const c of chunks) expect(c).toMatchObject({ service_tier: 'default', system_fingerprint: 'fp_44709d6fcb' });
  });

  it("says in a header when the usage is the gateway's estimate, and keeps the body OpenAI's", async () => {
    const res = await call('/v1/chat/completions', { model: 'chat', messages: [{ role: 'user', content: 'Hello' }] }, fakeGateway({}, [], { usageEstimated: true }));
    expect(res.headers['x-switchyard-usage-estimated']).toBe('true');
    expect(String(res.body)).not.toContain('switchyard');
  });

  it("says in a trailer when a stream's usage is the gateway's estimate, announced in the headers, and keeps the chunks OpenAI's", async () => {
    const parts: StreamPart[] = [{ type: 'start', id: 'up', model: 'gpt-x' }, { type: 'text', delta: 'Hi' }, { type: 'finish', finishReason: 'stop' }, { type: 'usage', usage: USAGE, estimated: true }];
    const res = await call('/v1/chat/completions', { model: 'chat', messages: [{ role: 'user', content: 'x' }], stream: true, stream_options: { include_usage: true } }, fakeGateway({}, parts));
    expect(res.headers.trailer).toBe('x-switchyard-usage-estimated');
    expect(await frames(res.body)).not.toContain('switchyard');
    expect(res.trailers?.()).toEqual({ 'x-switchyard-usage-estimated': 'true' });
    const counted = await call('/v1/chat/completions', { model: 'chat', messages: [{ role: 'user', content: 'x' }], stream: true }, fakeGateway({}, [...parts.slice(0, 3), { type: 'usage', usage: USAGE }]));
    await frames(counted.body);
    expect(counted.trailers?.()).toBeUndefined();
  });

  it('takes the switchyard body hints off the body into the routing options; headers win', async () => {
    const recorded: Recorded = {};
    const body = { model: 'chat', messages: [{ role: 'user', content: 'x' }], switchyard: { deployment: 'from-body', task: 'summarize' } };
    await call('/v1/chat/completions', body, fakeGateway(recorded));
    expect(recorded.options).toMatchObject({ override: 'from-body', task: 'summarize' });
    expect(recorded.request).not.toHaveProperty('passthrough');
    await call('/chat/completions', body, fakeGateway(recorded), { 'x-switchyard-deployment': 'from-header', 'x-switchyard-task': 'code' });
    expect(recorded.options).toMatchObject({ override: 'from-header', task: 'code' });
  });

  it('refuses a bad body before calling the gateway', async () => {
    const recorded: Recorded = {};
    await expect(call('/v1/chat/completions', { model: 'chat', messages: [], stream: true }, fakeGateway(recorded))).rejects.toMatchObject({ param: 'messages' });
    expect(recorded.request).toBeUndefined();
  });

  it('refuses a conversation ending on unanswered tool calls before calling the gateway, so no attempt is made', async () => {
    const recorded: Recorded = {};
    const asks = { role: 'assistant', content: null, tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'f', arguments: '{}' } }] };
    for (const stream of [false, true]) {
      await expect(call('/v1/chat/completions', { model: 'chat', messages: [{ role: 'user', content: 'Hi' }, asks], stream }, fakeGateway(recorded))).rejects.toMatchObject({ status: 400, param: 'messages.[1].role' });
    }
    expect(recorded.request).toBeUndefined();
  });

  it("names the client's own field when an upstream's dialect refuses a part of the canonical request", async () => {
    // Gemini's and Bedrock's dialects refuse tool-call arguments that are no JSON object, naming the canonical part.
    const refusing = (param: string): Gateway => {
      const error = new GatewayError({ kind: 'invalid_request', message: `'${param}' must be a JSON object to be sent to Gemini.`, param, unsent: true });
      return { config: { groups: [], deployments: [] }, chat: () => Promise.reject(error), stream: () => Promise.reject(error) } as unknown as Gateway;
    };
    const call0 = { id: 'a', type: 'function', function: { name: 'f', arguments: '1' } };
    const messages = [
      { role: 'user', content: 'hi' },
      { role: 'assistant', reasoning_content: 'thinking', content: 'x', tool_calls: [{ ...call0, id: 'z', function: { name: 'g', arguments: '{}' } }, call0] },
      { role: 'tool', tool_call_id: 'z', content: 'r' },
      { role: 'tool', tool_call_id: 'a', content: 'r' },
    ];
    for (const stream of [false, true]) {
      await expect(call('/v1/chat/completions', { model: 'chat', messages, stream }, refusing('messages[1].content[3].arguments'))).rejects.toMatchObject({
        param: 'messages[1].tool_calls[1].function.arguments',
        message: "'messages[1].tool_calls[1].function.arguments' must be a JSON object to be sent to Gemini.",
      });
    }
    await expect(call('/v1/chat/completions', { model: 'chat', messages }, refusing('messages[2].content[0]'))).rejects.toMatchObject({ param: 'messages[2].content' });
    // Empty text is no part: the assistant's parts are its refusal, then its call.
    const refused = [{ role: 'user', content: 'hi' }, { role: 'assistant', content: [{ type: 'text', text: '' }, { type: 'refusal', refusal: 'no' }], tool_calls: [call0] }, { role: 'tool', tool_call_id: 'a', content: 'r' }];
    await expect(call('/v1/chat/completions', { model: 'chat', messages: refused }, refusing('messages[1].content[1].arguments'))).rejects.toMatchObject({ param: 'messages[1].tool_calls[0].function.arguments' });
    await expect(call('/v1/chat/completions', { model: 'chat', messages: refused }, refusing('messages[1].content[0].text'))).rejects.toMatchObject({ param: 'messages[1].content[1]' });
  });

  it('streams chunks, the usage chunk when asked for, then [DONE], as text/event-stream; charset=utf-8 as OpenAI sends them', async () => {
    const recorded: Recorded = {};
    const parts: StreamPart[] = [
      { type: 'start', id: 'up', model: 'gpt-x' },
      { type: 'reasoning', delta: 'Hm.' },
      { type: 'redacted-reasoning', data: 'opaque' },
      { type: 'text', delta: 'Hi' },
      { type: 'provider-metadata', namespace: 'anthropic', data: { stop_reason: 'end_turn' } },
      { type: 'finish', finishReason: 'stop' },
      { type: 'usage', usage: USAGE },
    ];
    const res = await call('/v1/chat/completions', { model: 'chat', messages: [{ role: 'user', content: 'x' }], stream: true, stream_options: { include_usage: true } }, fakeGateway(recorded, parts));
    expect(recorded.request).toEqual({ model: 'chat', messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }] });
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const text = await frames(res.body);
    const data = text.split('\n\n').filter((f) => f !== '').map((f) => f.slice('data: '.length));
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as { choices: Array<{ delta: unknown; finish_reason: unknown }>; usage: unknown });
    expect(chunks.map((c) => c.choices[0]?.delta)).toEqual([{ role: 'assistant', content: '', refusal: null }, { reasoning_content: 'Hm.' }, { content: 'Hi' }, {}, undefined]);
    expect(chunks.at(-1)?.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
    expect(text).not.toContain('switchyard_extensions');
  });

  it('carries provider metadata on the last chunk for a client that opts in', async () => {
    const parts: StreamPart[] = [
      { type: 'text', delta: 'Hi' },
      { type: 'provider-metadata', namespace: 'anthropic', data: { stop_reason: 'end_turn' } },
      { type: 'finish', finishReason: 'stop' },
    ];
    const res = await call('/v1/chat/completions', { model: 'chat', messages: [{ role: 'user', content: 'x' }], stream: true }, fakeGateway({}, parts), { 'x-switchyard-stream-extensions': 'true' });
    const data = (await frames(res.body)).split('\n\n').filter((f) => f !== '');
    expect(JSON.parse(data.at(-2)?.slice('data: '.length) ?? '')).toMatchObject({ choices: [{ finish_reason: 'stop' }], switchyard_extensions: { anthropic: { stop_reason: 'end_turn' } } });
  });
});

describe('the embeddings route', () => {
  it('hands the gateway a list of inputs and writes the vectors in the format asked for', async () => {
    const recorded: Recorded = {};
    const res = await call('/v1/embeddings', { model: 'e', input: 'hello', encoding_format: 'base64', switchyard: { task: 'search' } }, fakeGateway(recorded));
    expect(recorded.request).toEqual({ model: 'e', input: ['hello'] });
    expect(recorded.options).toMatchObject({ task: 'search' });
    const body = JSON.parse(res.body as string) as { data: Array<{ embedding: string }>; model: string };
    expect(body.model).toBe('e');
    expect(Buffer.from(body.data[0]?.embedding ?? '', 'base64')).toEqual(Buffer.from(new Float32Array([0.5, -1]).buffer));
  });
});
