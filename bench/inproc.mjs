// CPU per request of Switchyard's own code, in-process: the runtime-neutral handler of a real app (the
// bench config: ledger on with SQLite and journal, metrics, access log to a file) driven by 64 concurrent
// callers, with an in-memory provider answering at once. No sockets, no upstream client, no wrk: what is
// left is the front door, routing, the gateway, the ledger and the logs, measured far more steadily than
// a loopback run on this shared machine (a change of 2-3 % shows; in `ab.mjs` it drowns).
// Needs dist/ (npx tsc -p tsconfig.build.json). Usage:
//   node bench/inproc.mjs [--requests 40000] [--conns 64] [--rounds 5] [--mode json,stream] [--no-ledger] [--no-journal] [--log-level info] [--provider memory|wire] [--door openai-chat|anthropic-messages|openai-responses] [--chunks 8] [--maps]
// --maps: instead of CPU, the hidden classes (V8 maps) the requests create, from two runs under
// `node --log-maps` with N and 2N requests: their difference per request, by the property whose
// addition made each one. A steady request path creates none; one per request (an object given a
// key after a spread, on Node 20) made every function reading such objects megamorphic.
// --provider wire: the real openai-compatible provider (request encoding, the dispatch handlers, SSE
// parsing, the dialect decoders) over a stand-in for the transport's Agent that answers with the bench
// upstream's exact bytes one event-loop turn later; only sockets and the HTTP/1.1 client are left out
// (`bench/transport.mjs` measures those).
// --chunks N: the stream's token chunks (8, as the bench upstream sends; a long answer has hundreds).
// A/B of two builds: node bench/inproc.mjs --root /tmp/old-build, then without --root; compare the medians.
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import process from 'node:process';
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { setImmediate } from 'node:timers';
import { ROOT } from './lib/targets.mjs';

const { values: opt } = parseArgs({
  options: {
    requests: { type: 'string', default: '40000' },
    conns: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '5' },
    mode: { type: 'string', default: 'json,stream' },
    root: { type: 'string', default: ROOT },
    'no-ledger': { type: 'boolean', default: false },
    'no-journal': { type: 'boolean', default: false },
    'log-level': { type: 'string', default: 'info' },
    provider: { type: 'string', default: 'memory' },
    maps: { type: 'boolean', default: false },
    door: { type: 'string', default: 'openai-chat' },
    chunks: { type: 'string', default: '8' },
  },
});

const root = resolve(opt.root);
if (opt.maps) await countMaps();

/** The --maps report (see the header); exits when done. */
async function countMaps() {
  const { execFileSync } = await import('node:child_process');
  const { readFileSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-maps-'));
  const n = Number(opt.requests) / 4;
  const transitions = (requests) => {
    const log = join(dir, `${requests}.log`);
    const args = ['--log-maps', `--logfile=${log}`, '--no-logfile-per-isolate', fileURLToPath(import.meta.url), '--root', opt.root, '--provider', opt.provider, '--door', opt.door, '--chunks', opt.chunks, '--mode', opt.mode, '--rounds', '1', '--requests', String(requests), '--conns', opt.conns, '--log-level', opt['log-level']];
    if (opt['no-ledger']) args.push('--no-ledger');
    if (opt['no-journal']) args.push('--no-journal');
    execFileSync(process.execPath, args, { stdio: 'ignore' });
    const byKey = new Map();
    for (const line of readFileSync(log, 'latin1').split('\n')) {
      if (!line.startsWith('map,Transition,')) continue;
      const key = line.slice(line.lastIndexOf(',') + 1);
      byKey.set(key, (byKey.get(key) ?? 0) + 1);
    }
    return byKey;
  };
  // All modes in each run: two processes in all (the modes' classes are told apart with --mode).
  const mode = opt.mode;
  const small = transitions(n);
  const large = transitions(2 * n);
  // A run makes n/2 warm-up requests and n measured ones per mode: the larger made 1.5n more of each.
  const extra = 1.5 * n * mode.split(',').length;
  const grown = [...large].map(([key, count]) => [key, (count - (small.get(key) ?? 0)) / extra]).filter(([, perRequest]) => perRequest >= 0.01);
  const total = grown.reduce((sum, [, perRequest]) => sum + perRequest, 0);
  const detail = grown.sort((a, b) => b[1] - a[1]).slice(0, 8).map(([key, perRequest]) => `${key} ${perRequest.toFixed(2)}`).join(', ');
  process.stdout.write(`${mode} ${root} ${total.toFixed(2)} new hidden classes per request${detail ? ` (by added property: ${detail})` : ''}, ${opt.door}, provider ${opt.provider}\n`);
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
const load = (path) => import(pathToFileURL(join(root, 'dist', path)).href);
const [{ createApp }, { createHttpHandler }, { resolveConfig }, { createLoggers }, { NEVER_CANCELLED }, { makeUsage }, { OpenAICompatibleProvider }] = await Promise.all([
  load('app.js'),
  load('http/handler.js'),
  load('config/load.js'),
  load('cli/logger.js'),
  load('core/cancel.js'),
  load('core/types.js'),
  load('providers/openai-compatible/provider.js'),
]);

const MODEL = 'gpt-4o-mini';
const tmp = mkdtempSync(join(tmpdir(), 'switchyard-inproc-'));
const raw = {
  logging: { level: opt['log-level'] },
  deployments: [{ id: 'mem', provider: 'openai-compatible', model: MODEL, endpoint: 'http://127.0.0.1:9/v1', api_key: 'sk-bench' }],
  groups: [{ name: MODEL, strategy: 'priority', deployments: ['mem'] }],
};
if (opt['no-ledger']) raw.ledger = { enabled: false };
else {
  raw.ledger = { enabled: true, store: 'sqlite', path: join(tmp, 'ledger.sqlite'), spill_path: join(tmp, 'spill.jsonl'), journal_dir: join(tmp, 'journal'), journal: !opt['no-journal'] };
}
const config = resolveConfig(raw);

const TEXT = 'Hello from the benchmark upstream. This answer is fixed.';
const WORDS = Array.from({ length: Number(opt.chunks) }, (_, i) => `word${i} `);
/** Answers at once, as the bench upstream's answers decode: one text answer, or 8 deltas, finish and usage. */
const memoryProvider = {
  type: 'openai-compatible',
  chat: async () => ({ id: 'chatcmpl-bench', model: MODEL, created: 1700000000, content: [{ type: 'text', text: TEXT }], finishReason: 'stop', usage: makeUsage({ prompt: 42, completion: 12 }) }),
  stream: async () => parts(),
  embed: async () => ({ model: MODEL, embeddings: [[0, 1]], usage: makeUsage({ prompt: 1 }) }),
  listModels: async () => [{ id: MODEL, ownedBy: 'bench' }],
  probe: async () => undefined,
  close: async () => undefined,
};
async function* parts() {
  yield { type: 'start', id: 'chatcmpl-bench', model: MODEL };
  for (const delta of WORDS) yield { type: 'text', delta };
  yield { type: 'finish', finishReason: 'stop' };
  yield { type: 'usage', usage: makeUsage({ prompt: 42, completion: WORDS.length }) };
}

// The bench upstream's answers (bench/upstream.mjs), byte for byte.
const created = 1_700_000_000;
const CHAT_BODY = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created,
    model: MODEL,
    choices: [{ index: 0, message: { role: 'assistant', content: TEXT, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 42, completion_tokens: 12, total_tokens: 54, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } },
    system_fingerprint: 'fp_bench',
  }),
);
const sseFrame = (obj) => `data: ${JSON.stringify(obj)}\n\n`;
const sseChunk = (delta, finish) => ({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created, model: MODEL, system_fingerprint: 'fp_bench', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
const STREAM_BODY = Buffer.from(
  [
    sseFrame(sseChunk({ role: 'assistant', content: '' }, null)),
    ...WORDS.map((w) => sseFrame(sseChunk({ content: w }, null))),
    sseFrame(sseChunk({}, 'stop')),
    sseFrame({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created, model: MODEL, choices: [], usage: { prompt_tokens: 42, completion_tokens: WORDS.length, total_tokens: 42 + WORDS.length } }),
    'data: [DONE]\n\n',
  ].join(''),
);
const headers = (type, length) => (length === undefined ? { 'content-type': type } : { 'content-type': type, 'content-length': String(length) });
/** The transport's Agent as the provider drives it: `dispatch(request, handler)`, answered in the next turn, as a socket read would be. */
const wireAgent = {
  dispatch(options, handler) {
    const stream = typeof options.body === 'string' && options.body.includes('"stream":true');
    setImmediate(() => {
      handler.onConnect(() => undefined);
      handler.onHeaders(200, stream ? headers('text/event-stream') : headers('application/json', CHAT_BODY.length), () => undefined);
      handler.onData(stream ? STREAM_BODY : CHAT_BODY);
      handler.onComplete();
    });
  },
  close: async () => undefined,
};
function wireProvider(deployment) {
  const provider = new OpenAICompatibleProvider(deployment, { endpoint: 'http://127.0.0.1:9/v1', prefill: false });
  provider.agent = wireAgent;
  return provider;
}

const logFd = openSync(join(tmp, 'access.log'), 'a');
const loggers = createLoggers(opt['log-level'], logFd);
const app = await createApp(config, { logger: loggers.logger, accessLogger: loggers.access, createProvider: opt.provider === 'wire' ? wireProvider : () => memoryProvider });
const handle = createHttpHandler(app.gateway, app.handlerOptions);

const messages = [
  { role: 'system', content: 'You are a concise assistant for a benchmark.' },
  { role: 'user', content: 'Write one short sentence about latency in distributed systems, and mention a proxy.' },
];
const system = messages[0].content;
const user = messages[1].content;
/** Per front door: its path and its json and stream bodies, asking the same of the same deployment. */
const DOORS = {
  'openai-chat': {
    path: '/v1/chat/completions',
    json: { model: MODEL, messages, max_tokens: 64, temperature: 0.2 },
    stream: { model: MODEL, messages, max_tokens: 64, temperature: 0.2, stream: true, stream_options: { include_usage: true } },
  },
  'anthropic-messages': {
    path: '/v1/messages',
    json: { model: MODEL, system, messages: [{ role: 'user', content: user }], max_tokens: 64, temperature: 0.2 },
    stream: { model: MODEL, system, messages: [{ role: 'user', content: user }], max_tokens: 64, temperature: 0.2, stream: true },
  },
  'openai-responses': {
    path: '/v1/responses',
    json: { model: MODEL, instructions: system, input: user, max_output_tokens: 64, temperature: 0.2, store: false },
    stream: { model: MODEL, instructions: system, input: user, max_output_tokens: 64, temperature: 0.2, store: false, stream: true },
  },
};
const door = DOORS[opt.door];
if (!door) throw new Error(`--door: one of ${Object.keys(DOORS).join(', ')}`);
const BODIES = { json: Buffer.from(JSON.stringify(door.json)), stream: Buffer.from(JSON.stringify(door.stream)) };
const request = (body) => ({
  method: 'POST',
  path: door.path,
  query: '',
  headers: { host: '127.0.0.1', 'content-type': 'application/json', 'content-length': String(body.length), 'user-agent': 'wrk' },
  body,
  signal: NEVER_CANCELLED,
});

async function one(body) {
  const answer = await handle(request(body));
  if (answer.status !== 200) throw new Error(`status ${answer.status}: ${typeof answer.body === 'string' ? answer.body : ''}`);
  if (typeof answer.body === 'object' && !(answer.body instanceof Uint8Array)) for await (const frame of answer.body) void frame;
}

/** `n` requests from `conns` concurrent callers; CPU of the whole process (all threads) per request. */
async function run(body, n, conns) {
  let left = n;
  const caller = async () => {
    while (left-- > 0) await one(body);
  };
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: conns }, caller));
  const used = process.cpuUsage(cpu);
  return { cpuUs: (used.user + used.system) / n, wallUs: ((performance.now() - t0) * 1000) / n };
}

const n = Number(opt.requests);
const conns = Number(opt.conns);
const modes = opt.mode.split(',');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  for (const mode of modes) await run(BODIES[mode], n / 2, conns); // warm-up: JIT and the ledger's writer
  const results = Object.fromEntries(modes.map((m) => [m, []]));
  for (let r = 0; r < Number(opt.rounds); r++) {
    for (const mode of modes) {
      await app.flush();
      results[mode].push(await run(BODIES[mode], n, conns));
    }
  }
  for (const mode of modes) {
    const cpu = results[mode].map((x) => x.cpuUs);
    process.stdout.write(`${mode.padEnd(6)} ${root} ${median(cpu).toFixed(1)} µs CPU/req median (rounds ${cpu.map((c) => c.toFixed(1)).join(' ')}), ${conns} callers, ${opt['no-ledger'] ? 'ledger off' : opt['no-journal'] ? 'ledger on, no journal' : 'ledger on'}, log ${opt['log-level']}, ${opt.door}, provider ${opt.provider}\n`);
  }
} finally {
  await app.close();
  rmSync(tmp, { recursive: true, force: true });
}
