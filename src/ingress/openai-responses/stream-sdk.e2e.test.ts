import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { startServer, type RunningServer } from '../../adapters/node/server.js';
import { parseConfig } from '../../config/load.js';
import { createGateway } from '../../gateway/gateway.js';
import { readSdkTypes, type SdkTypes } from '../testing/sdk-shapes.js';
import { parseSse } from '../testing/stream-door.js';

/*
 * The Responses door read by the official openai SDK (`responses.stream`) on a stream holding every
 * kind of output item it writes: Claude thinks (signed), says something, then calls two tools, as the
 * Messages API streams it. Each event is checked against the SDK's declared `ResponseStreamEvent` types
 * (read from its .d.ts), and the stream as a whole against the API's rules: sequence numbers counting
 * from 0, each item added, filled and done at one output_index under one id before the next, content
 * parts in turn, `.done` texts equal to their deltas, and the terminal response listing the items done.
 */

const SIGNATURE = 'EqQBCkYIBxgCKkBsaWtlIGEgc2lnbmF0dXJl';
const THINKING = ['The user wants the weather ', 'in two cities: two lookups.'];
const TEXT = ["I'll look both up ", 'for you.'];
const CALLS = [
  { id: 'toolu_01A', args: ['{"query": ', '"Paris"}'] },
  { id: 'toolu_01B', args: ['{"query": ', '"Oslo"}'] },
];

const sse = (type: string, data: Record<string, unknown>): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

type Ending = 'whole' | 'max_tokens' | 'cut';

/**
 * The Messages API's stream of one answer: thinking with its signature, text, two tool_use blocks
 * (`whole`); or stopped at max_tokens inside the first call (`max_tokens`); or the connection dropped
 * after the text (`cut`: what is returned is what was written before the drop).
 */
function claudeStream(ending: Ending): string {
  let out = sse('message_start', { message: { id: 'msg_01XYZ', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 40, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 } } });
  const block = (index: number, start: Record<string, unknown>, deltas: Array<Record<string, unknown>>): void => {
    out += sse('content_block_start', { index, content_block: start });
    for (const delta of deltas) out += sse('content_block_delta', { index, delta });
    out += sse('content_block_stop', { index });
  };
  const call = (i: number, args: readonly string[]): void => block(2 + i, { type: 'tool_use', id: CALLS[i]?.id, name: 'lookup', input: {} }, ['', ...args].map((partial_json) => ({ type: 'input_json_delta', partial_json })));
  block(0, { type: 'thinking', thinking: '', signature: '' }, [...THINKING.map((thinking) => ({ type: 'thinking_delta', thinking })), { type: 'signature_delta', signature: SIGNATURE }]);
  out += sse('ping', {});
  block(1, { type: 'text', text: '' }, TEXT.map((text) => ({ type: 'text_delta', text })));
  if (ending === 'cut') return out;
  if (ending === 'max_tokens') call(0, CALLS[0]?.args.slice(0, 1) ?? []);
  else CALLS.forEach((c, i) => call(i, c.args));
  out += sse('message_delta', { delta: { stop_reason: ending === 'max_tokens' ? 'max_tokens' : 'tool_use', stop_sequence: null }, usage: { output_tokens: 90 } });
  return out + sse('message_stop', {});
}

/**
 * Where the SDK's declarations and the live API's JSON differ, the API's side kept, each for its reason:
 * `output_text` the SDK computes from the output, never on the wire; the API's Response carries `store`,
 * which the SDK's type leaves out; `usage` (until the end) and `user` are null in the API's JSON, which
 * the SDK's types declare optional only; and the `error` event carries its fields nested under `error`
 * too, as the live API sends them (events.ts `fail`).
 */
const SDK_LAG = [
  /\.response\.output_text: missing/,
  /\.response\.store: not declared/,
  /\.response\.(usage|user): present where only undefined fits/,
  /^events\[\d+\] error\.error: not declared by ResponseErrorEvent$/,
];

/** What each output item's events must agree on: its index, id and kind, and the text its deltas built. */
interface ItemTrack {
  index: number;
  id: string;
  type: string;
  deltas: Map<string, string>;
  done: boolean;
}

/** The stream's consistency as the API defines it; each problem in words. */
function streamProblems(events: readonly ResponseStreamEvent[]): string[] {
  const problems: string[] = [];
  const items: ItemTrack[] = [];
  let open: ItemTrack | undefined;
  events.forEach((e, i) => {
    if (e.sequence_number !== i) problems.push(`event ${i} (${e.type}) has sequence_number ${e.sequence_number}`);
    if (e.type === 'response.output_item.added') {
      if (open && !open.done) problems.push(`item ${e.output_index} added before item ${open.index} was done`);
      if (e.output_index !== items.length) problems.push(`item added at output_index ${e.output_index}, expected ${items.length}`);
      open = { index: e.output_index, id: e.item.id ?? '', type: e.item.type, deltas: new Map(), done: false };
      items.push(open);
      return;
    }
    if (!('output_index' in e)) return;
    const item = items[e.output_index];
    if (!item || item !== open || item.done) return void problems.push(`${e.type} at output_index ${e.output_index}, which is not the open item`);
    if ('item_id' in e && e.item_id !== item.id) problems.push(`${e.type} names item ${e.item_id}, the open item is ${item.id}`);
    const part = 'content_index' in e ? `content ${e.content_index}` : 'summary_index' in e ? `summary ${e.summary_index}` : 'arguments';
    if ('delta' in e && typeof e.delta === 'string') item.deltas.set(part, (item.deltas.get(part) ?? '') + e.delta);
    const doneText = e.type === 'response.output_text.done' ? e.text : e.type === 'response.reasoning_summary_text.done' ? e.text : e.type === 'response.refusal.done' ? e.refusal : e.type === 'response.function_call_arguments.done' ? e.arguments : undefined;
    if (doneText !== undefined && doneText !== (item.deltas.get(part) ?? '')) problems.push(`${e.type} of ${part} is not its deltas joined`);
    if (e.type === 'response.output_item.done') {
      if (e.item.id !== item.id || e.item.type !== item.type) problems.push(`item ${item.index} done as ${e.item.type} ${e.item.id}, added as ${item.type} ${item.id}`);
      item.done = true;
    }
  });
  return problems;
}

describe('the Responses door as the openai SDK reads it: reasoning, text and function calls in one stream', () => {
  let upstream: Server;
  let server: RunningServer;
  let client: OpenAI;
  let sdk: SdkTypes;

  beforeAll(async () => {
    sdk = readSdkTypes();
    // The ending is named in the prompt.
    upstream = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const ending: Ending = body.includes('STOP-AT-LIMIT') ? 'max_tokens' : body.includes('DROP-CONNECTION') ? 'cut' : 'whole';
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        if (ending === 'cut') res.write(claudeStream(ending), () => res.destroy());
        else res.end(claudeStream(ending));
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const parsed = parseConfig(
      {
        api_keys: [{ id: 'k', key: 'sk-door' }],
        routing: { allow_direct_deployments: true },
        deployments: [{ id: 'claude', provider: 'anthropic', model: 'claude-sonnet-4-5', endpoint: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, api_key: 'sk-ant' }],
      },
      {},
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    server = await startServer(createGateway(parsed.config), { port: 0 });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'sk-door', maxRetries: 0 });
  });
  afterAll(async () => {
    await server.shutdown(100);
    await new Promise((resolve) => upstream.close(resolve));
  });

  const tools: OpenAI.Responses.FunctionTool[] = [{ type: 'function', name: 'lookup', parameters: { type: 'object', properties: { query: { type: 'string' } } }, strict: false }];
  const body = (input: string): OpenAI.Responses.ResponseCreateParamsStreaming => ({ model: 'claude', input, tools, reasoning: { effort: 'low', summary: 'auto' }, include: ['reasoning.encrypted_content'], stream: true });
  const ask = (input = 'Weather in Paris and Oslo?'): ReturnType<OpenAI['responses']['stream']> => client.responses.stream(body(input));
  /** The events as the wire has them (the SDK raises on `error` rather than yield it). */
  const raw = async (input: string): Promise<ResponseStreamEvent[]> => {
    const res = await fetch(`${server.url}/v1/responses`, { method: 'POST', headers: { authorization: 'Bearer sk-door', 'content-type': 'application/json' }, body: JSON.stringify(body(input)) });
    return parseSse(await res.text()).map((e) => e.data as ResponseStreamEvent);
  };

  it.each([
    ['completed', 'Weather in Paris and Oslo?', 'response.completed'],
    ['incomplete at max_tokens', 'Weather? STOP-AT-LIMIT', 'response.incomplete'],
    ['failed on a dropped connection', 'Weather? DROP-CONNECTION', 'response.failed'],
  ])('sends only events the SDK declares, each with the members its type requires and no other: %s', async (_name, input, terminal) => {
    const events = await raw(input);
    expect(events.at(-1)?.type).toBe(terminal);
    expect(streamProblems(events)).toEqual([]);
    const declared = sdk.named('ResponseStreamEvent');
    const problems = events.flatMap((e, i) => sdk.problems(e, declared, `events[${i}] ${e.type}`));
    expect(problems.filter((p) => !SDK_LAG.some((lag) => lag.test(p)))).toEqual([]);
  });

  it('streams the reasoning, the message and each call as items in turn, their events consistent, the terminal response listing them done', async () => {
    const stream = ask();
    const events: ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(streamProblems(events)).toEqual([]);
    expect(events.filter((e) => e.type === 'response.output_item.added').map((e) => e.item.type)).toEqual(['reasoning', 'message', 'function_call', 'function_call']);
    const completed = events.at(-1);
    if (completed?.type !== 'response.completed') throw new Error(`ends with ${completed?.type}`);
    const done = events.flatMap((e) => (e.type === 'response.output_item.done' ? [e.item] : []));
    expect(completed.response.output).toEqual(done);
    expect(done).toMatchObject([
      { type: 'reasoning', summary: [{ type: 'summary_text', text: THINKING.join('') }], encrypted_content: expect.stringMatching(/.+/) },
      { type: 'message', status: 'completed', content: [{ type: 'output_text', text: TEXT.join('') }] },
      { type: 'function_call', status: 'completed', call_id: CALLS[0]?.id, name: 'lookup', arguments: '{"query": "Paris"}' },
      { type: 'function_call', status: 'completed', call_id: CALLS[1]?.id, name: 'lookup', arguments: '{"query": "Oslo"}' },
    ]);
    // The SDK's own accumulation of the events agrees with the response the door completed.
    const final = await stream.finalResponse();
    // (It adds what it parsed, `parsed` and `parsed_arguments`, null here: no format or strict tool to parse.)
    expect(final).toMatchObject({ ...completed.response, output_text: TEXT.join('') });
  });

  it.each([
    ['with include', ['reasoning.encrypted_content'] as OpenAI.Responses.ResponseIncludable[]],
    ['without include', undefined],
  ])('without reasoning.summary, adds and completes the reasoning item with summary: [] and no summary events, as the API does (%s)', async (name, include) => {
    const stream = client.responses.stream({ model: 'claude', input: 'Weather in Paris and Oslo?', tools, reasoning: { effort: 'low' }, ...(include && { include }) });
    const events: ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(streamProblems(events)).toEqual([]);
    const declared = sdk.named('ResponseStreamEvent');
    expect(events.flatMap((e, i) => sdk.problems(e, declared, `events[${i}] ${e.type}`)).filter((p) => !SDK_LAG.some((lag) => lag.test(p)))).toEqual([]);
    expect(events.filter((e) => e.type.startsWith('response.reasoning_summary'))).toEqual([]);
    expect(events.filter((e) => 'output_index' in e && e.output_index === 0).map((e) => e.type)).toEqual(['response.output_item.added', 'response.output_item.done']);
    const item = events.flatMap((e) => (e.type === 'response.output_item.done' && e.output_index === 0 ? [e.item] : []))[0];
    if (name === 'with include') expect(item).toEqual({ id: expect.stringMatching(/^rs_/), type: 'reasoning', summary: [], encrypted_content: expect.stringMatching(/^swy1\./) });
    else expect(item).toEqual({ id: expect.stringMatching(/^rs_/), type: 'reasoning', summary: [] });
    const completed = events.at(-1);
    if (completed?.type !== 'response.completed') throw new Error(`ends with ${completed?.type}`);
    expect(completed.response.output[0]).toEqual(item);
    expect(completed.response.reasoning).toEqual({ effort: 'low', summary: null });
    expect(await stream.finalResponse()).toMatchObject({ ...completed.response, output_text: TEXT.join('') });
  });
});
