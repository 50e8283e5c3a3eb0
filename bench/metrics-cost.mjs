// CPU cost of the metrics observer per client request: replays realistic attempt records and request
// ends through the gateway's observability, with metrics on and off, several rounds, median.
//   npx tsc -p tsconfig.build.json && node bench/metrics-cost.mjs [--requests N] [--rounds N]
import { parseArgs } from 'node:util';
import process from 'node:process';
import { resolveConfig } from '../dist/config/load.js';
import { createObservability } from '../dist/observability/index.js';

const { values: opt } = parseArgs({ options: { requests: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '7' } } });
const REQUESTS = Number(opt.requests);
const ROUNDS = Number(opt.rounds);

const deployments = [
  { id: 'openai-eu', provider: 'openai-compatible', model: 'gpt-4o-mini', region: 'eu-west-1', endpoint: 'https://eu.example.com/v1' },
  { id: 'openai-us', provider: 'openai-compatible', model: 'gpt-4o-mini', region: 'us-east-1', endpoint: 'https://us.example.com/v1' },
  { id: 'claude-eu', provider: 'anthropic', model: 'claude-sonnet-4-5', region: 'eu-central-1', api_key: 'k' },
  { id: 'claude-us', provider: 'anthropic', model: 'claude-sonnet-4-5', region: 'us-west-2', api_key: 'k' },
];
const raw = {
  deployments,
  groups: [{ name: 'chat', strategy: 'priority', deployments: ['openai-eu', 'openai-us', 'claude-eu', 'claude-us'] }],
  ledger: { enabled: false },
};
const usage = (prompt, completion) => ({ prompt, completion, total: prompt + completion, cacheRead: 0, cacheWrite: 0, reasoning: 0 });
const error = { kind: 'unavailable' };

/** One client request: its attempt records and how it ended (route, status, served by). */
function scenario(i) {
  const d = deployments[i % 4];
  const tags = { key: `key-${i % 5}`, team: i % 2 ? 'research' : 'support' };
  const base = { requestId: `r${i}`, group: 'chat', provider: d.provider, model: d.model, region: d.region, cause: undefined, fallbackFrom: undefined, startedAt: 0, ttftMs: undefined, usageEstimated: false, error: undefined, tags };
  const ok = (extra) => ({ ...base, attempt: 1, operation: 'chat', role: 'primary', deployment: d.id, latencyMs: 420 + (i % 300), usage: usage(200 + (i % 900), 40 + (i % 400)), outcome: 'ok', ...extra });
  const servedBy = (id, region) => ({ group: 'chat', deployment: id, region });
  const kind = i % 20;
  if (kind < 14) return { attempts: [ok({})], status: 200, servedBy: servedBy(d.id, d.region) };
  if (kind < 17) return { attempts: [ok({ operation: 'stream', ttftMs: 180 + (i % 50) })], status: 200, servedBy: servedBy(d.id, d.region) };
  if (kind < 19) {
    const failed = ok({ outcome: 'error', error, usage: undefined, latencyMs: 30 });
    return { attempts: [failed, ok({ attempt: 2, role: 'retry', cause: 'unavailable' })], status: 200, servedBy: servedBy(d.id, d.region) };
  }
  const next = deployments[(i + 1) % 4];
  const failed = ok({ outcome: 'error', error, usage: undefined, latencyMs: 30 });
  const fallback = { ...ok({ attempt: 2, role: 'fallback', cause: 'unavailable', fallbackFrom: d.id }), deployment: next.id, provider: next.provider, model: next.model, region: next.region };
  return { attempts: [failed, fallback], status: 200, servedBy: servedBy(next.id, next.region) };
}

const scenarios = Array.from({ length: 1000 }, (_, i) => scenario(i));
const headers = { 'content-type': 'application/json' };

/** CPU µs spent replaying `REQUESTS` requests through `obs` (one server span and its attempts each). */
function replay(obs) {
  const observer = obs.observer;
  const start = process.cpuUsage();
  for (let i = 0; i < REQUESTS; i += 1) {
    const s = scenarios[i % scenarios.length];
    const span = obs.startServerSpan({ method: 'POST', route: '/v1/chat/completions', headers, requestId: 'r' });
    if (observer) for (const a of s.attempts) observer.onAttempt(a);
    span.end(s.status, s.servedBy, undefined);
  }
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

const log = (line) => process.stdout.write(line + '\n');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const costOf = (r) => (r.usage ? r.usage.total * 2e-6 : undefined);
const withMetrics = await createObservability(resolveConfig(raw), { costOf });
const without = await createObservability(resolveConfig({ ...raw, observability: { metrics: { enabled: false } } }), { costOf });
replay(withMetrics); // warm up: the JIT and every series' first observation
replay(without);
const on = [];
const off = [];
for (let r = 0; r < ROUNDS; r += 1) {
  on.push(replay(withMetrics) / REQUESTS);
  off.push(replay(without) / REQUESTS);
}
const fmt = (xs) => xs.map((x) => x.toFixed(2)).join(' ');
log(`requests per round: ${REQUESTS}, rounds: ${ROUNDS}, attempts per request: ${(scenarios.reduce((n, s) => n + s.attempts.length, 0) / scenarios.length).toFixed(2)}`);
log(`metrics on  µs CPU/request: ${fmt(on)}  median ${median(on).toFixed(2)}`);
log(`metrics off µs CPU/request: ${fmt(off)}  median ${median(off).toFixed(2)}`);
log(`metrics cost µs CPU/request (median on - median off): ${(median(on) - median(off)).toFixed(2)}`);
const scrape = await withMetrics.metrics.render();
log(`scrape: ${scrape.length} bytes, ${scrape.split('\n').filter((l) => l && !l.startsWith('#')).length} samples`);
