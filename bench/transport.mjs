// The upstream HTTP client on its own: CPU per call of `requestBuffered` (json) and `sendUpstream`
// read to its end (stream), 64 calls in flight, against the bench upstream in its own process. Builds
// are loaded side by side into this one process and measured in interleaved rounds, so a change to
// `src/providers/transport/` shows as a ratio instead of drowning in a loopback run's noise.
// Needs dist/ (npx tsc -p tsconfig.build.json). Usage:
//   node bench/transport.mjs [--calls 20000] [--conns 64] [--rounds 5] [name=<root> ...]
// Without targets it measures this checkout (`current=.`); the first target is the baseline.
import { join, resolve } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { URL, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import process from 'node:process';
import { stopChild } from './lib/procs.mjs';
import { MODEL, startUpstream } from './lib/targets.mjs';

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: { calls: { type: 'string', default: '20000' }, conns: { type: 'string', default: '64' }, rounds: { type: 'string', default: '5' } },
});
const specs = (positionals.length > 0 ? positionals : ['current=.']).map((spec) => {
  const eq = spec.indexOf('=');
  return { name: spec.slice(0, eq), root: resolve(spec.slice(eq + 1)) };
});
const calls = Number(opt.calls);
const conns = Number(opt.conns);

const messages = [{ role: 'user', content: 'Write one short sentence about latency in distributed systems, and mention a proxy.' }];
const BODIES = {
  json: JSON.stringify({ model: MODEL, messages, max_tokens: 64 }),
  stream: JSON.stringify({ model: MODEL, messages, max_tokens: 64, stream: true }),
};
const headers = { 'content-type': 'application/json', authorization: 'Bearer sk-bench-0000000000000000000000', 'user-agent': 'switchyard-bench' };

const tmp = mkdtempSync(join(tmpdir(), 'switchyard-transport-'));
const upstream = await startUpstream(tmp);
const url = new URL(upstream.url);
try {
  const targets = [];
  for (const spec of specs) {
    const http = await import(pathToFileURL(join(spec.root, 'dist/providers/http.js')).href);
    const { Canceller } = await import(pathToFileURL(join(spec.root, 'dist/core/cancel.js')).href);
    targets.push({ ...spec, http, Canceller, agent: http.createAgent() });
  }
  // Who the upstream is, for error messages only (a build before 2026-12-06 took the provider type alone).
  const UPSTREAM = { provider: 'openai-compatible', deployment: 'bench' };
  // One canceller per call, as the request path makes one per attempt.
  const once = {
    json: async (t) => {
      const res = await t.http.requestBuffered(t.agent, { url, headers, body: BODIES.json, signal: new t.Canceller() }, UPSTREAM);
      if (res.status !== 200 || res.body.length < 100) throw new Error(`bad answer from ${t.name}: ${res.status}`);
    },
    stream: async (t) => {
      const res = await t.http.sendUpstream(t.agent, { url, headers, body: BODIES.stream, signal: new t.Canceller() }, UPSTREAM);
      let size = 0;
      for await (const chunk of res.body) size += chunk.length;
      if (res.status !== 200 || size < 100) throw new Error(`bad stream from ${t.name}: ${res.status}`);
    },
  };
  const run = async (mode, target, n) => {
    let left = n;
    await Promise.all(Array.from({ length: conns }, async () => {
      while (left-- > 0) await once[mode](target);
    }));
  };
  const results = new Map();
  for (let round = 0; round < Number(opt.rounds); round++) {
    for (const mode of ['json', 'stream']) {
      // Rotated each round, so a slow spell of this shared machine hits every target alike.
      const order = targets.map((_, i) => targets[(i + round) % targets.length]);
      for (const target of order) {
        await run(mode, target, Math.min(2000, calls));
        const before = process.cpuUsage();
        await run(mode, target, calls);
        const used = process.cpuUsage(before);
        const key = `${mode} ${target.name}`;
        if (!results.has(key)) results.set(key, []);
        results.get(key).push((used.user + used.system) / calls);
      }
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const mode of ['json', 'stream']) {
    const base = results.get(`${mode} ${targets[0].name}`);
    for (const target of targets) {
      const xs = results.get(`${mode} ${target.name}`);
      const ratios = xs.map((x, i) => (x / base[i]).toFixed(2)).join(' ');
      process.stdout.write(`${mode.padEnd(6)} ${target.name.padEnd(10)} ${median(xs).toFixed(1).padStart(6)} µs/call (rounds ${xs.map((x) => x.toFixed(1)).join(' ')})${target === targets[0] ? '' : `  vs ${targets[0].name}: ${ratios}`}\n`);
    }
  }
  await Promise.all(targets.map((t) => t.agent.close()));
} finally {
  await stopChild(upstream.child);
  rmSync(tmp, { recursive: true, force: true });
}
