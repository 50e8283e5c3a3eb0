// CPU per streamed answer of the stream decoders alone, in-process: one upstream body per dialect, as
// its API sends it (OpenAI's chunks padded with `obfuscation`, Azure's with filter results, Bedrock's events with `p`, Gemini's with
// the usage so far), decoded from
// bytes to canonical parts. No gateway, no sockets: what a long answer costs to read, per token.
// Needs dist/ (npx tsc -p tsconfig.build.json). Usage:
//   node bench/decode.mjs [--tokens 64] [--rounds 5] [--root <build>] [--long-mb 6]
// --long-mb N: also one N MB answer piece (an SSE line, an event-stream frame) read in 64 KB reads, as a
//   transport hands it over: the time to take it apart, which once grew with the square of its size.
// A/B of two builds: run it with --root <older build>, then without; compare the medians.
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import process from 'node:process';
import { Buffer } from 'node:buffer';
import { ROOT } from './lib/targets.mjs';

const { values: opt } = parseArgs({ options: { tokens: { type: 'string', default: '64' }, rounds: { type: 'string', default: '5' }, root: { type: 'string', default: ROOT }, 'long-mb': { type: 'string' } } });
const root = resolve(opt.root);
const load = (path) => import(pathToFileURL(join(root, 'dist', path)).href);
const [{ decodeSse }, chat, azure, messages, gemini, converse, eventStream, { eventFrame }] = await Promise.all([
  load('providers/sse.js'),
  load('providers/dialects/openai-chat/decode-stream.js'),
  load('providers/azure-openai/filters.js'),
  load('providers/dialects/anthropic-messages/decode-stream.js'),
  load('providers/dialects/gemini/decode-stream.js'),
  load('providers/dialects/bedrock-converse/decode-stream.js'),
  load('providers/dialects/bedrock-converse/event-stream.js'),
  load('sim/bedrock/eventstream.js'),
]);

const tokens = Array.from({ length: Number(opt.tokens) }, (_, i) => `word${i} `);
const PAD = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const pad = (i) => PAD.slice(0, 1 + ((i * 17) % PAD.length));
const sse = (objects, named = false) => Buffer.from(objects.map((o) => (named ? `event: ${o.type}\ndata: ${JSON.stringify(o)}\n\n` : `data: ${typeof o === 'string' ? o : JSON.stringify(o)}\n\n`)).join(''));

const chunk = (delta, finish, i) => ({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', system_fingerprint: 'fp', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], obfuscation: pad(i) });
const SAFE = Object.fromEntries(['hate', 'self_harm', 'sexual', 'violence'].map((c) => [c, { filtered: false, severity: 'safe' }]));
const azureChunk = (delta, finish, filters) => ({ choices: [{ content_filter_results: filters, delta, finish_reason: finish, index: 0, logprobs: null }], created: 1, id: 'chatcmpl-1', model: 'gpt-4o-2024-08-06', object: 'chat.completion.chunk', system_fingerprint: 'fp' });
const BODIES = {
  'openai-chat': sse([
    chunk({ role: 'assistant', content: '' }, null, 0),
    ...tokens.map((t, i) => chunk({ content: t }, null, i + 1)),
    chunk({}, 'stop', 0),
    { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 9, completion_tokens: tokens.length, total_tokens: 9 + tokens.length } },
    '[DONE]',
  ]),
  'azure-openai': sse([
    { choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [{ prompt_index: 0, content_filter_results: SAFE }] },
    azureChunk({ role: 'assistant', content: '' }, null, {}),
    ...tokens.map((t) => azureChunk({ content: t }, null, SAFE)),
    azureChunk({}, 'stop', {}),
    { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-2024-08-06', choices: [], usage: { prompt_tokens: 9, completion_tokens: tokens.length, total_tokens: 9 + tokens.length } },
    '[DONE]',
  ]),
  'anthropic-messages': sse(
    [
      { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 9, output_tokens: 1 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      ...tokens.map((t) => ({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: t } })),
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: tokens.length } },
      { type: 'message_stop' },
    ],
    true,
  ),
  gemini: sse(
    tokens.map((t, i) => ({
      candidates: [{ content: { role: 'model', parts: [{ text: t }] }, index: 0, ...(i === tokens.length - 1 ? { finishReason: 'STOP' } : {}) }],
      usageMetadata: { promptTokenCount: 9, candidatesTokenCount: i + 1, totalTokenCount: 10 + i },
      modelVersion: 'gemini-2.5-flash',
      responseId: 'resp-1',
    })),
  ),
  'bedrock-converse': Buffer.concat([
    eventFrame('messageStart', { role: 'assistant', p: pad(0) }),
    ...tokens.map((t, i) => eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: t }, p: pad(i + 1) })),
    eventFrame('contentBlockStop', { contentBlockIndex: 0 }),
    eventFrame('messageStop', { stopReason: 'end_turn' }),
    eventFrame('metadata', { usage: { inputTokens: 9, outputTokens: tokens.length, totalTokens: 9 + tokens.length }, metrics: { latencyMs: 100 } }),
  ]),
};

async function* oneRead(body) {
  yield body;
}

/** The dialect's decoder over `body` as one read; older builds took Bedrock's frames from a separate generator. */
const DECODE = {
  'openai-chat': (body) => chat.decodeChatStream(decodeSse(oneRead(body)), 'bench'),
  'azure-openai': (body) => azure.decodeAzureStream(decodeSse(oneRead(body)), 'bench'),
  'anthropic-messages': (body) => messages.decodeMessagesStream(decodeSse(oneRead(body)), 'bench'),
  gemini: (body) => gemini.decodeGenerateContentStream(decodeSse(oneRead(body)), 'bench'),
  'bedrock-converse': (body) => converse.decodeConverseStream(eventStream.decodeEventStream ? eventStream.decodeEventStream(oneRead(body), 'bench') : oneRead(body), 'bench', 'anthropic.claude-sonnet-4-5'),
};

async function decodeOnce(dialect) {
  let parts = 0;
  for await (const part of DECODE[dialect](BODIES[dialect])) if (part.type === 'text') parts += 1;
  if (parts !== tokens.length) throw new Error(`${dialect}: ${parts} text parts, expected ${tokens.length}`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const N = 2000;
for (const dialect of Object.keys(DECODE)) {
  for (let i = 0; i < N; i++) await decodeOnce(dialect); // warm-up
  const rounds = [];
  for (let r = 0; r < Number(opt.rounds); r++) {
    const cpu = process.cpuUsage();
    for (let i = 0; i < N; i++) await decodeOnce(dialect);
    const used = process.cpuUsage(cpu);
    rounds.push((used.user + used.system) / N);
  }
  const us = median(rounds);
  process.stdout.write(`${dialect.padEnd(18)} ${root} ${us.toFixed(1)} µs CPU/stream median (rounds ${rounds.map((r) => r.toFixed(1)).join(' ')}), ${((us * 1000) / tokens.length).toFixed(0)} ns/token, ${tokens.length} tokens, ${BODIES[dialect].length} bytes\n`);
}

/** One `mb` MB piece in 64 KB reads through `push` (SseParser's, EventStreamParser's): ms of CPU to take it apart. */
function longPiece(parser, body) {
  const cpu = process.cpuUsage();
  let events = 0;
  for (let at = 0; at < body.length; at += 65536) events += parser.push(Buffer.from(body.subarray(at, at + 65536))).length;
  const used = process.cpuUsage(cpu);
  if (events !== 1) throw new Error(`${events} events from one long piece`);
  return (used.user + used.system) / 1000;
}

if (opt['long-mb'] !== undefined) {
  const mb = Number(opt['long-mb']);
  const text = 'x'.repeat(mb * 1024 * 1024);
  const sseBody = Buffer.from(`data: ${JSON.stringify({ choices: [{ delta: { content: text } }] })}\n\n`);
  const frameBody = eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text } });
  const { SseParser } = await load('providers/sse.js');
  const sseMs = [1, 2, 3].map(() => longPiece(new SseParser(), sseBody));
  const frameMs = [1, 2, 3].map(() => longPiece(new eventStream.EventStreamParser('bench'), frameBody));
  process.stdout.write(`long piece         ${root} ${mb} MB in 64 KB reads: SSE line ${median(sseMs).toFixed(0)} ms CPU, event-stream frame ${median(frameMs).toFixed(0)} ms CPU (median of 3)\n`);
}
