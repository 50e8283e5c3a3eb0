// CPU per span of the OTLP encodings alone, in-process: a batch of the server and attempt spans one
// traced chat request exports (their attributes as the tracer sets them), encoded as the exporter does
// (each span as it ends, then the request body). No tracer, no sockets.
// Needs dist/ (npx tsc -p tsconfig.build.json). Usage:
//   node bench/otlp.mjs [--spans 512] [--rounds 5] [--root <build>]
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import process from 'node:process';
import { ROOT } from './lib/targets.mjs';

const { values: opt } = parseArgs({ options: { spans: { type: 'string', default: '512' }, rounds: { type: 'string', default: '5' }, root: { type: 'string', default: ROOT } } });
const root = resolve(opt.root);
const load = (path) => import(pathToFileURL(join(root, 'dist', path)).href);
const [json, protobuf] = await Promise.all([load('observability/otlp-json.js'), load('observability/otlp-protobuf.js')]);

const now = Date.now();
const server = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  parentSpanId: undefined,
  name: 'POST /v1/chat/completions',
  kind: 2,
  startMs: now + 0.123,
  endMs: now + 4.5,
  attributes: {
    'http.request.method': 'POST',
    'http.request.method_original': undefined,
    'url.scheme': 'http',
    'url.path': '/v1/chat/completions',
    'http.route': '/v1/chat/completions',
    'http.response.status_code': 200,
    'network.protocol.version': '1.1',
    'server.address': '127.0.0.1',
    'server.port': 4000,
    'user_agent.original': 'OpenAI/JS 6.49.0',
    'switchyard.request_id': 'c4b0c7a2-1b7d-4d8e-9f3a-2e5b6c7d8e9f',
    'switchyard.group': 'gpt-4o-mini',
    'switchyard.deployment': 'openai-east',
    'error.type': undefined,
  },
  status: { code: 0 },
};
const attempt = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  parentSpanId: '00f067aa0ba902b7',
  name: 'chat gpt-4o-mini',
  kind: 3,
  startMs: now + 1,
  endMs: now + 3.2,
  attributes: {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o-mini',
    'gen_ai.request.stream': false,
    'gen_ai.request.max_tokens': 64,
    'gen_ai.request.temperature': { double: 0.2 },
    'gen_ai.request.top_p': undefined,
    'gen_ai.response.id': 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG',
    'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
    'gen_ai.response.finish_reasons': ['stop'],
    'server.address': 'api.openai.com',
    'server.port': 443,
    'cloud.region': undefined,
    'gen_ai.usage.input_tokens': 42,
    'gen_ai.usage.output_tokens': 12,
    'switchyard.attempt': 1,
    'switchyard.attempt.role': 'primary',
    'switchyard.deployment': 'openai-east',
    'switchyard.group': 'gpt-4o-mini',
    'switchyard.usage_estimated': false,
  },
  status: { code: 0 },
};
const spans = Array.from({ length: Number(opt.spans) }, (_, i) => ({ ...(i % 2 ? attempt : server), spanId: i.toString(16).padStart(16, '0') }));
const resource = { 'service.name': 'switchyard', 'service.version': '0.1.0', 'service.instance.id': 'c4b0c7a2-1b7d-4d8e-9f3a-2e5b6c7d8e9f', 'telemetry.sdk.language': 'nodejs' };
const scope = { name: 'switchyard' };

const jsonHead = json.jsonHead(resource, scope);
const protobufHead = protobuf.protobufHead(resource, scope);
const cases = {
  'json, each span as it ends': () => json.jsonExportRequest(spans.map(json.encodeSpanJson), jsonHead),
  'protobuf, each span as it ends': () => protobuf.protobufExportRequest(spans.map(protobuf.encodeSpanProtobuf), protobufHead),
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let round = 0; round < Number(opt.rounds); round++) {
  for (const [name, encode] of Object.entries(cases)) {
    for (let i = 0; i < 50; i++) encode();
    const start = process.hrtime.bigint();
    const n = 200;
    for (let i = 0; i < n; i++) encode();
    results[name].push(Number(process.hrtime.bigint() - start) / n / spans.length / 1000);
  }
}
for (const [name, encode] of Object.entries(cases)) {
  process.stdout.write(`${name.padEnd(32)} ${median(results[name]).toFixed(2)} µs/span  ${(encode().length / spans.length).toFixed(0)} bytes/span\n`);
}
