import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../adapters/node/server.js';
import { parseConfig } from '../config/load.js';
import { createGateway } from '../gateway/gateway.js';
import { startEverySim, type EverySim } from '../sim/testing/every-sim.js';

/*
 * Two tool calls in one answer, which OpenAI-style upstreams stream interleaved by index (the
 * simulators do for "call both tools"), read through each front door with its official SDK: the
 * Messages and Responses APIs stream one block or item at a time, so each call must arrive whole and
 * in one run, its arguments valid JSON.
 */

const KEY = 'sk-parallel';
const PROMPT = 'please call both tools';
const SCHEMA = { type: 'object' as const, properties: { query: { type: 'string' } } };
const ARGS = { query: PROMPT };
const UPSTREAMS = ['openai', 'azure'] as const;

describe('parallel tool calls from interleaving upstreams, through every front door', () => {
  let sims: EverySim;
  let server: RunningServer;

  beforeAll(async () => {
    sims = await startEverySim('parallel-project');
    const parsed = parseConfig(
      {
        api_keys: [{ id: 'k', key: KEY }],
        routing: { max_attempts_per_deployment: 1, allow_direct_deployments: true },
        deployments: [
          { id: 'openai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sims.openai.url}/v1`, api_key: sims.keys.openai },
          { id: 'azure', provider: 'azure-openai', model: 'gpt-4o', endpoint: sims.azure.url, api_version: '2024-10-21', api_key: sims.keys.azure },
        ],
      },
      sims.env,
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    server = await startServer(createGateway(parsed.config), { port: 0 });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await sims.close();
  });

  it('streams each call as one tool_use block on the Messages door: start, its deltas, stop, then the next', async () => {
    const client = new Anthropic({ baseURL: server.url, apiKey: KEY, maxRetries: 0 });
    const tools = ['a', 'b'].map((name) => ({ name, input_schema: SCHEMA }));
    for (const model of UPSTREAMS) {
      const stream = client.messages.stream({ model, max_tokens: 200, messages: [{ role: 'user', content: PROMPT }], tools });
      const events: string[] = [];
      stream.on('streamEvent', (e) => {
        if (e.type.startsWith('content_block')) events.push(`${e.type}:${(e as { index: number }).index}`);
      });
      const message = await stream.finalMessage();
      expect(message.content.map((b) => (b.type === 'tool_use' ? [b.name, b.input] : b.type)), model).toEqual([
        ['a', ARGS],
        ['b', ARGS],
      ]);
      const block = (i: number): string[] => events.filter((e) => e.endsWith(`:${i}`));
      expect(events.join(' '), model).toBe([...block(0), ...block(1)].join(' '));
      expect(block(0)[0]).toBe('content_block_start:0');
      expect(block(0).at(-1)).toBe('content_block_stop:0');
    }
  });

  it('streams each call as one function_call item on the Responses door, its arguments whole at its done event', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
    const tools = ['a', 'b'].map((name) => ({ type: 'function' as const, name, parameters: SCHEMA, strict: false }));
    for (const model of UPSTREAMS) {
      const stream = client.responses.stream({ model, input: PROMPT, tools });
      const done: string[] = [];
      stream.on('response.function_call_arguments.done', (e) => done.push(e.arguments));
      const response = await stream.finalResponse();
      const calls = response.output.flatMap((item) => (item.type === 'function_call' ? [[item.name, JSON.parse(item.arguments) as unknown]] : []));
      expect(calls, model).toEqual([
        ['a', ARGS],
        ['b', ARGS],
      ]);
      expect(response.output).toHaveLength(2);
      expect(done.map((args) => JSON.parse(args) as unknown)).toEqual([ARGS, ARGS]);
    }
  });

  it('streams each call in one run on the Chat Completions door, its index and arguments intact', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
    const tools = ['a', 'b'].map((name) => ({ type: 'function' as const, function: { name, parameters: SCHEMA } }));
    for (const model of UPSTREAMS) {
      const stream = client.chat.completions.stream({ model, messages: [{ role: 'user', content: PROMPT }], tools });
      const indices: number[] = [];
      stream.on('chunk', (chunk) => {
        for (const call of chunk.choices[0]?.delta.tool_calls ?? []) indices.push(call.index);
      });
      const answer = await stream.finalChatCompletion();
      expect(answer.choices[0]?.message.tool_calls?.map((c) => (c.type === 'function' ? [c.function.name, JSON.parse(c.function.arguments) as unknown] : c.type)), model).toEqual([
        ['a', ARGS],
        ['b', ARGS],
      ]);
      expect(indices, model).toEqual([...indices].sort((x, y) => x - y));
    }
  });
});
