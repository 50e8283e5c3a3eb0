// A fast OpenAI-compatible upstream for the benchmark: fixed answers, pre-serialised, so the
// upstream costs as little CPU as possible and every target behind it is measured, not the upstream.
// Usage: node bench/upstream.mjs --port N [--chunks N] [--status N]
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import process from 'node:process';
import { Buffer } from 'node:buffer';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    chunks: { type: 'string', default: '8' },
    // Answer every chat request with this status (a failing primary for the failover mode).
    status: { type: 'string', default: '200' },
  },
});
const chunks = Number(values.chunks);
const status = Number(values.status);
const created = 1_700_000_000;
const model = 'gpt-4o-mini';

const chatBody = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the benchmark upstream. This answer is fixed.', refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 42, completion_tokens: 12, total_tokens: 54, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } },
    system_fingerprint: 'fp_bench',
  }),
);

const frame = (obj) => Buffer.from(`data: ${JSON.stringify(obj)}\n\n`);
const chunk = (delta, finish) => ({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_bench', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
const streamFrames = [frame(chunk({ role: 'assistant', content: '' }, null))];
for (let i = 0; i < chunks; i++) streamFrames.push(frame(chunk({ content: `word${i} ` }, null)));
streamFrames.push(frame(chunk({}, 'stop')));
streamFrames.push(frame({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created, model, choices: [], usage: { prompt_tokens: 42, completion_tokens: chunks, total_tokens: 42 + chunks } }));
streamFrames.push(Buffer.from('data: [DONE]\n\n'));

const errorBody = Buffer.from(JSON.stringify({ error: { message: `Simulated ${status}`, type: 'server_error', param: null, code: 'server_error' } }));
const modelsBody = Buffer.from(JSON.stringify({ object: 'list', data: [{ id: model, object: 'model', created, owned_by: 'bench' }] }));
const JSON_HEADERS = (len) => ({ 'content-type': 'application/json', 'content-length': len });
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
const STREAM_FLAG = Buffer.from('"stream":true');

// Connections opened so far: a gateway that reuses its upstream pool opens about one per client connection.
const stats = { connections: 0, requests: 0 };

const server = createServer({ keepAliveTimeout: 120_000 }, (req, res) => {
  stats.requests += 1;
  if (req.url === '/__stats') {
    const body = JSON.stringify(stats);
    res.writeHead(200, JSON_HEADERS(Buffer.byteLength(body)));
    res.end(body);
    return;
  }
  if (req.method === 'GET') {
    res.writeHead(200, JSON_HEADERS(modelsBody.length));
    res.end(modelsBody);
    return;
  }
  const parts = [];
  req.on('data', (c) => parts.push(c));
  req.on('end', () => {
    if (status !== 200) {
      res.writeHead(status, JSON_HEADERS(errorBody.length));
      res.end(errorBody);
      return;
    }
    // A byte search instead of JSON.parse: the upstream must stay cheap next to what it serves.
    const body = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    if (body.indexOf(STREAM_FLAG) === -1) {
      res.writeHead(200, JSON_HEADERS(chatBody.length));
      res.end(chatBody);
      return;
    }
    res.writeHead(200, SSE_HEADERS);
    // Frames go out as separate chunked writes, as a model server sends them; corked into one packet.
    res.cork();
    for (let i = 0; i < streamFrames.length - 1; i++) res.write(streamFrames[i]);
    res.end(streamFrames[streamFrames.length - 1]);
  });
});
server.on('connection', () => {
  stats.connections += 1;
});
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
