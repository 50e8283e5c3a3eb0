// CPU per request of a response-cache hit against a miss, in-process (no HTTP front door): the same
// gateway, one openai-compatible deployment on the benchmark upstream, `cache: {enabled: true}`.
// Misses ask distinct prompts (each also stores its answer); hits repeat one prompt; uncached
// requests (sampled) bypass the cache.
// Usage: npm run build && node bench/cache.mjs [--requests N]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import process from 'node:process';
import { performance } from 'node:perf_hooks';
import console from 'node:console';
import { ROOT } from './lib/targets.mjs';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '5000' } } });
const n = Number(values.requests);

const upstream = spawn(process.execPath, [join(ROOT, 'bench/upstream.mjs'), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const [line] = await once(upstream.stdout, 'data');
const port = Number(/(\d+)\s*$/.exec(String(line).trim())?.[1]);
const { createGateway } = await import(join(ROOT, 'dist/gateway/gateway.js'));
const gateway = createGateway({
  deployments: [{ id: 'up', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `http://127.0.0.1:${port}/v1`, api_key: 'sk-bench' }],
  groups: [{ name: 'chat', deployments: ['up'], cache: { enabled: true } }],
  cache: { max_entries: n * 2 },
});
const ask = (text) => ({ model: 'chat', temperature: 0, messages: [{ role: 'user', content: [{ type: 'text', text }] }] });

async function cpuPerRequest(label, make) {
  for (let i = 0; i < 200; i++) await gateway.chat(make(`warm-${label}-${i}`));
  const before = process.cpuUsage();
  const t0 = performance.now();
  let hits = 0;
  for (let i = 0; i < n; i++) if ((await gateway.chat(make(`${label}-${i}`))).cache === 'hit') hits += 1;
  const cpu = process.cpuUsage(before);
  return { label, requests: n, hits, cpuUsPerReq: (cpu.user + cpu.system) / n, wallUsPerReq: ((performance.now() - t0) * 1000) / n };
}

// Sampled requests never use the cache: the same path without it, for what a miss adds.
const uncached = await cpuPerRequest('uncached', (p) => ({ ...ask(p), temperature: 0.7 }));
const miss = await cpuPerRequest('miss', (p) => ask(p));
const hit = await cpuPerRequest('hit', () => ask('the same question'));
console.log(JSON.stringify({ uncached, miss, hit, hitVsMiss: hit.cpuUsPerReq / miss.cpuUsPerReq }, null, 2));
await gateway.close();
upstream.kill();
