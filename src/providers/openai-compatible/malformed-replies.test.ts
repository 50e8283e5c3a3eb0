import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import type { DeploymentConfig } from '../../config/schema.js';
import type { CallContext } from '../../core/provider.js';
import type { ChatRequest } from '../../core/types.js';
import type { OpenAICompatibleOptions } from './index.js';
import { OpenAICompatibleProvider } from './provider.js';

// An upstream that answers 200 with whatever body the test names, as a broken server or proxy would.
let reply = '';
let server: Server;
let provider: OpenAICompatibleProvider;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const stream = reply.startsWith('data:');
      res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' });
      res.end(reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const r = parseConfig({ deployments: [{ id: 'oa', provider: 'openai-compatible', model: 'm', endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` }] }, {});
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  const d = r.config.deployments[0] as DeploymentConfig;
  provider = new OpenAICompatibleProvider(d, d.options as OpenAICompatibleOptions);
});
afterAll(async () => {
  await provider.close();
  await new Promise((resolve) => server.close(resolve));
});

const ctx = (): CallContext => ({ signal: new AbortController().signal, requestId: 'r1' });
const ask: ChatRequest = { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] };
const sse = (...chunks: unknown[]): string => [...chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`), 'data: [DONE]\n\n'].join('');

async function streamed(): Promise<unknown> {
  try {
    for await (const part of await provider.stream(ask, ctx())) void part;
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('an upstream reply of a shape the decoders cannot take is a bad upstream response (502, another deployment may answer), never an internal error', () => {
  it.each([
    ['a null choice', { choices: [null] }],
    ['a tool call without a function name', { choices: [{ message: { role: 'assistant', tool_calls: [{ id: 'c', function: null }] }, finish_reason: 'tool_calls' }] }],
    ['a tool call that is not an object', { choices: [{ message: { role: 'assistant', tool_calls: [5] }, finish_reason: 'tool_calls' }] }],
  ])('whole: %s', async (_name, body) => {
    reply = JSON.stringify(body);
    await expect(provider.chat(ask, ctx())).rejects.toMatchObject({ kind: 'bad_upstream_response', provider: 'openai-compatible' });
  });

  it.each([
    ['a null tool call delta', sse({ choices: [{ index: 0, delta: { tool_calls: [null] } }] })],
    ['a tool call that never names its function', sse({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: null }] } }] })],
  ])('streamed: %s', async (_name, body) => {
    reply = body;
    expect(await streamed()).toMatchObject({ kind: 'bad_upstream_response', provider: 'openai-compatible' });
  });

  it.each([
    ['fewer vectors than inputs', { data: [{ embedding: [0.1], index: 0 }] }],
    ['no vectors', { data: [] }],
    ['a vector of other things than numbers', { data: [{ embedding: [1, 'a'], index: 0 }, { embedding: [null], index: 1 }] }],
  ])('embeddings: %s', async (_name, body) => {
    reply = JSON.stringify(body);
    await expect(provider.embed({ model: 'm', input: ['one', 'two'] }, ctx())).rejects.toMatchObject({ kind: 'bad_upstream_response' });
  });

  it('holds the deltas of a streamed tool call until its name comes (some servers send it a chunk later, or empty first)', async () => {
    reply = sse(
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_1', function: { name: '', arguments: '' } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"a"' } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { name: 'bash', arguments: ':1' } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '}' } }] } }] },
      { choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] },
    );
    const calls = [];
    for await (const part of await provider.stream(ask, ctx())) if (part.type === 'tool-call') calls.push(part);
    expect(calls).toEqual([
      { type: 'tool-call', index: 0, id: 'call_1', name: 'bash', argumentsDelta: '{"a":1' },
      { type: 'tool-call', index: 0, id: undefined, name: undefined, argumentsDelta: '}' },
    ]);
  });

  it('raises a tool call never named before the finish part, which would commit the stream (another deployment may still answer)', async () => {
    reply = sse({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'c', function: { arguments: '{}' } }] } }] }, { choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] });
    const seen: string[] = [];
    const failure = await (async () => {
      try {
        for await (const part of await provider.stream(ask, ctx())) seen.push(part.type);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(failure).toMatchObject({ kind: 'bad_upstream_response' });
    expect(seen).toEqual(['start']);
  });

  it('names a streamed tool call once, though a server repeats the name in every delta (readers join the pieces)', async () => {
    const delta = (args: string) => ({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { name: 'get', arguments: args } }] } }] });
    reply = sse({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'c', function: { name: 'get', arguments: '' } }] } }] }, delta('{"a"'), delta(':1}'), { choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] });
    const names = [];
    for await (const part of await provider.stream(ask, ctx())) if (part.type === 'tool-call') names.push(part.name);
    expect(names).toEqual(['get', undefined, undefined]);
  });

  it('tells parallel tool calls apart by id when a server numbers them all 0, or not at all', async () => {
    const whole = (id: string, name: string, args: string, index?: number) => ({ choices: [{ index: 0, delta: { tool_calls: [{ ...(index === undefined ? {} : { index }), id, type: 'function', function: { name, arguments: args } }] } }] });
    reply = sse(whole('call_a', 'get', '{"x":1}', 0), whole('call_b', 'put', '{"y":2}', 0), whole('call_c', 'del', '{}'), { choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] });
    const calls = [];
    for await (const part of await provider.stream(ask, ctx())) if (part.type === 'tool-call') calls.push([part.index, part.id, part.name, part.argumentsDelta]);
    expect(calls).toEqual([
      [0, 'call_a', 'get', '{"x":1}'],
      [1, 'call_b', 'put', '{"y":2}'],
      [2, 'call_c', 'del', '{}'],
    ]);
    // Argument deltas read by learned shape before the second call began are not given its index.
    const more = (args: string) => ({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: args } }] } }] });
    reply = sse(whole('call_a', 'get', '', 0), more('{"x"'), more(':1'), more('}'), whole('call_b', 'put', '', 0), more('{"y"'), more(':2'), more('}'), { choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] });
    const byIndex = new Map<number, string>();
    for await (const part of await provider.stream(ask, ctx())) if (part.type === 'tool-call') byIndex.set(part.index, (byIndex.get(part.index) ?? '') + part.argumentsDelta);
    expect([...byIndex]).toEqual([
      [0, '{"x":1}'],
      [1, '{"y":2}'],
    ]);
  });

  it('marks embeddings without usage as estimated, not as free', async () => {
    reply = JSON.stringify({ data: [{ embedding: [0.1], index: 0 }, { embedding: [0.2], index: 1 }] });
    expect(await provider.embed({ model: 'm', input: ['one', 'two'] }, ctx())).toMatchObject({ usageEstimated: true });
  });

  it('gives a tool call without an id one by its place', async () => {
    reply = JSON.stringify({ choices: [{ message: { role: 'assistant', tool_calls: [{ function: { name: 'f', arguments: '{}' } }] }, finish_reason: 'tool_calls' }] });
    expect((await provider.chat(ask, ctx())).content).toEqual([{ type: 'tool-call', id: 'call_0', name: 'f', arguments: '{}' }]);
  });
});
