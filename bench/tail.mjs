// Where the slow requests at 1 connection spend their time: the floor and Switchyard (the bench config,
// ledger on) each run bench/lib/critical-probe.mjs, recording every request, under `wrk -c1`, and every request is split into the
// target's own time before the upstream, the upstream's, the target's after it, and the client's (the
// answer's end to the next request), each as p50 / p99 / p99.9, plus which parts the slowest 1 % of
// request cycles spent their extra time in. Needs dist/ and wrk. Usage:
//   node bench/tail.mjs [--seconds 10] [--mode json|stream]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get } from 'node:http';
import { URL, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import process from 'node:process';
import { Buffer } from 'node:buffer';
import { stopChild } from './lib/procs.mjs';
import { ensureBuilt, MODEL, ROOT, startFloor, startSwitchyard, startUpstream } from './lib/targets.mjs';

const { values: opt } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, mode: { type: 'string', default: 'json' } } });
const stream = opt.mode === 'stream' ? { stream: true, stream_options: { include_usage: true } } : {};
const body = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Write one short sentence about latency in distributed systems.' }], max_tokens: 64, temperature: 0.2, ...stream });

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const us = (ms) => Math.round(ms * 1000);

/** Request cycles (the previous answer's end to this one's) split into their parts, in ms. */
function cycles(reqs) {
  const out = [];
  for (let i = 4; i < reqs.length; i += 4) {
    const [t0, sent, answered, end] = reqs.slice(i, i + 4);
    out.push({ client: t0 - reqs[i - 1], before: sent - t0, upstream: answered - sent, after: end - answered, cycle: end - reqs[i - 1] });
  }
  return out;
}

/** The probe's instants so far. */
const probed = (svc) =>
  new Promise((resolve, reject) => {
    get(new URL('/__critical-probe', svc.url), (res) => {
      const parts = [];
      res.on('data', (part) => parts.push(part));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(parts).toString('utf8')).reqs));
    }).on('error', reject);
  });
const log = (line) => process.stdout.write(`${line}\n`);

ensureBuilt(log);
const tmp = mkdtempSync(join(tmpdir(), 'switchyard-tail-'));
const services = [];
try {
  const upstream = await startUpstream(tmp);
  services.push(upstream);
  const nodeArgs = ['--import', pathToFileURL(join(ROOT, 'bench/lib/critical-probe.mjs')).href];
  // Inherited by the targets started below.
  process.env.CRITICAL_PROBE_RECORD = '1';
  const floor = await startFloor(tmp, upstream, { nodeArgs });
  services.push(floor);
  const switchyard = await startSwitchyard(tmp, [{ id: 'bench-upstream', base: upstream.base }], { nodeArgs });
  services.push(switchyard);
  const script = join(tmp, 'post.lua');
  writeFileSync(script, `wrk.method = "POST"\nwrk.body = [[${body}]]\nwrk.headers["content-type"] = "application/json"\nwrk.headers["authorization"] = "Bearer sk-bench"\n`);
  log(`${opt.mode}, 1 connection, ${opt.seconds} s each (after 2 s of warm-up); µs`);
  log('| target | part | p50 | p99 | p99.9 | slowest 1 % of cycles: mean |');
  log('| ------ | ---- | --- | --- | ----- | --------------------------- |');
  for (const [name, svc] of [['floor', floor], ['switchyard', switchyard]]) {
    execFileSync('wrk', ['-t1', '-c1', '-d2s', '-s', script, svc.url]);
    const skip = (await probed(svc)).length;
    const wrk = execFileSync('wrk', ['-t1', '-c1', `-d${opt.seconds}s`, '--latency', '-s', script, svc.url]).toString();
    const all = cycles((await probed(svc)).slice(skip));
    const slowest = pct(all.map((c) => c.cycle), 0.99);
    const slow = all.filter((c) => c.cycle >= slowest);
    for (const part of ['before', 'upstream', 'after', 'client', 'cycle']) {
      const xs = all.map((c) => c[part]);
      const slowMean = slow.reduce((a, c) => a + c[part], 0) / slow.length;
      log(`| ${name} | ${part} | ${us(pct(xs, 0.5))} | ${us(pct(xs, 0.99))} | ${us(pct(xs, 0.999))} | ${us(slowMean)} |`);
    }
    log(`| ${name} | wrk p99 | | ${/99%\s+(\S+)/.exec(wrk)?.[1] ?? '?'} | | ${all.length} cycles |`);
  }
} finally {
  for (const s of services.reverse()) await stopChild(s.child);
  rmSync(tmp, { recursive: true, force: true });
}
