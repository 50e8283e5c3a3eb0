// A/B of Switchyard builds or configs against each other and the floor, interleaved in one run: on this
// shared 2-core machine a change is only believed as a ratio measured side by side.
//
// Usage: node bench/ab.mjs [--rounds 6] [--seconds 3] [--conns 64] <name>=<root>[*<workers>][#<node flag>...][@<regex>=><replacement>...] ...
//   <root>     a Switchyard package folder with dist/ built (a copy of an older build, or this one)
//   *<workers> `serve --workers N` (1 when absent): CPU and memory are summed over the primary and its workers
//   #<flag>    a node flag for that target (e.g. #--max-semi-space-size=16); every target, the floor too,
//              runs with the image's NODE_OPTIONS (the Dockerfile's), which a flag here overrides
//   @a=>b      an edit of the bench config (YAML; `\n` in b is a newline), e.g. "@journal: true=>journal: false"
// --critical (at --conns 1): every target, the floor too, also runs bench/lib/critical-probe.mjs, which
//   times its critical path in-process (request to the upstream write, the upstream's first bytes to
//   the answer's end): the latency it adds measured far more steadily than wrk's p50 on this machine.
// The first named target is the baseline: every other one is reported as its per-round CPU ratio to it
// (the median, with each round's ratio) and as its total CPU per request against the floor's. The
// upstream is measured on its own too, so each target's latency also shows as what it adds (#18's targets).
// Example: node bench/ab.mjs before=/tmp/old-build after=. "nojournal=.@journal: true=>journal: false"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import process from 'node:process';
import { setTimeout } from 'node:timers';
import { runMatrix } from './lib/matrix.mjs';
import { freePort, startService, stopChild } from './lib/procs.mjs';
import { ensureBuilt, MODEL, ROOT, RUNTIME_NODE_OPTIONS, startFloor, startSwitchyard, startUpstream } from './lib/targets.mjs';

const { values: opt, positionals: specs } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '6' }, seconds: { type: 'string', default: '3' }, conns: { type: 'string', default: '64' }, critical: { type: 'boolean', default: false } },
});
if (specs.length === 0) throw new Error('name at least one target: <name>=<root>[#flag][@edit]');

/** `name=root#flag@a=>b` → its parts. */
function parseSpec(spec) {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new Error(`not a target: ${spec}`);
  const [rootAndFlags, ...edits] = spec.slice(eq + 1).split('@');
  const [rootAndWorkers, ...nodeFlags] = rootAndFlags.split('#');
  const [root, workers = '1'] = rootAndWorkers.split('*');
  if (!/^[1-9]\d?$/.test(workers)) throw new Error(`not a worker count: ${spec}`);
  return { name: spec.slice(0, eq), root: resolve(root), workers, nodeFlags, edits: edits.map((e) => e.split('=>')) };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const messages = [
  { role: 'system', content: 'You are a concise assistant for a benchmark.' },
  { role: 'user', content: 'Write one short sentence about latency in distributed systems, and mention a proxy.' },
];
const BODIES = {
  json: JSON.stringify({ model: MODEL, messages, max_tokens: 64, temperature: 0.2 }),
  stream: JSON.stringify({ model: MODEL, messages, max_tokens: 64, temperature: 0.2, stream: true, stream_options: { include_usage: true } }),
};

const log = (line) => process.stdout.write(`${line}\n`);
ensureBuilt(log);
const tmp = mkdtempSync(join(tmpdir(), 'switchyard-ab-'));
const services = [];
try {
  const upstream = await startUpstream(tmp);
  services.push(upstream);
  const probe = opt.critical ? ['--import', pathToFileURL(join(ROOT, 'bench/lib/critical-probe.mjs')).href] : [];
  const floor = await startFloor(tmp, upstream, { nodeArgs: probe });
  services.push(floor);
  // The bench's own config for this build, as the template every target edits.
  const template = await startSwitchyard(tmp, [{ id: 'bench-upstream', base: upstream.base }], { name: 'template' });
  await stopChild(template.child);
  const yaml = readFileSync(template.config, 'utf8');
  // The upstream on its own: what a target adds to its latency is measured against it.
  const targets = [{ ...upstream, name: 'direct' }, { ...floor, name: 'floor' }];
  for (const { name, root, workers, nodeFlags, edits } of specs.map(parseSpec)) {
    const port = await freePort();
    const dir = join(tmp, name);
    mkdirSync(dir, { recursive: true });
    let text = yaml.replace(/port: \d+/, `port: ${port}`).replaceAll(join(tmp, 'template'), dir);
    for (const [from, to] of edits) text = text.replace(new RegExp(from, 'm'), to.replaceAll('\\n', '\n'));
    const config = join(dir, 'switchyard.yaml');
    writeFileSync(config, text);
    const args = [...nodeFlags, ...probe, join(root, 'bin/switchyard.js'), 'serve', '-c', config, '--workers', workers];
    const svc = await startService({ name, cmd: process.execPath, args, port, logFile: join(dir, 'switchyard.log'), cwd: dir, env: { NODE_OPTIONS: RUNTIME_NODE_OPTIONS } });
    services.push(svc);
    targets.push({ ...svc, name, url: `http://127.0.0.1:${port}/v1/chat/completions`, headers: {} });
  }
  const conns = Number(opt.conns);
  log(`${specs.length} target(s) and the floor, ${opt.rounds} interleaved rounds x ${opt.seconds} s at ${conns} connections`);
  const { runs, cells } = await runMatrix({ targets, upstream, bodies: BODIES, conns: [conns], seconds: Number(opt.seconds), rounds: Number(opt.rounds), warmupSeconds: 2, tmp, log: () => undefined, afterCell: opt.critical ? criticalPath() : undefined });
  const names = targets.map((t) => t.name).filter((n) => n !== 'direct');
  const [baseline, ...others] = names.slice(1);
  const ms = (us) => (us / 1000).toFixed(conns === 1 ? 3 : 2);
  for (const mode of ['json', 'stream']) {
    const rounds = new Map();
    for (const r of runs.filter((x) => x.mode === mode)) {
      if (!rounds.has(r.round)) rounds.set(r.round, {});
      rounds.get(r.round)[r.target] = (r.cpu_s / r.requests) * 1e6;
    }
    const cell = (target) => cells.find((c) => c.mode === mode && c.target === target);
    for (const n of names) {
      const c = cell(n);
      log(`${mode.padEnd(6)} ${n.padEnd(14)} ${c.cpu_us_per_req.toFixed(0).padStart(5)} µs/req  ${(c.cpu_us_per_req / cell('floor').cpu_us_per_req).toFixed(2)}x floor  ${c.rps.toFixed(0).padStart(6)} req/s  p50 ${ms(c.p50_us)} ms  p99 ${ms(c.p99_us)} ms  added p50 ${ms(c.added_p50_us)} p99 ${ms(c.added_p99_us)} ms`);
    }
    for (const n of others) {
      const ratios = [...rounds.values()].map((r) => r[n] / r[baseline]);
      log(`${mode.padEnd(6)} ${n} / ${baseline}: median ${median(ratios).toFixed(3)}x (rounds ${ratios.map((x) => x.toFixed(2)).join(' ')})`);
    }
    if (opt.critical) reportCritical(runs.filter((x) => x.mode === mode), names, baseline, mode);
    // #18's latency target at 1 connection: each target's added p50 against the floor's, per round.
    if (conns === 1) {
      const added = new Map();
      for (const r of runs.filter((x) => x.mode === mode)) {
        if (!added.has(r.round)) added.set(r.round, {});
        added.get(r.round)[r.target] = r.p50_us;
      }
      for (const n of names.filter((x) => x !== 'floor')) {
        const ratios = [...added.values()].map((r) => (r[n] - r.direct) / (r.floor - r.direct));
        log(`${mode.padEnd(6)} ${n} added p50 / floor's: median ${median(ratios).toFixed(2)}x (rounds ${ratios.map((x) => x.toFixed(2)).join(' ')})`);
      }
    }
  }
} finally {
  for (const s of services.reverse()) await s.stop();
  rmSync(tmp, { recursive: true, force: true });
}

/** The probe's sums in a target's log after each cell, as the cell's own: differences from the last reading. */
function criticalPath() {
  const last = new Map();
  return async (target) => {
    if (target.name === 'direct') return {};
    await new Promise((r) => setTimeout(r, 250)); // the probe prints every 100 ms
    const lines = readFileSync(target.logFile, 'utf8').split('\n').filter((l) => l.startsWith('critical-path '));
    const now = lines.length > 0 ? JSON.parse(lines[lines.length - 1].slice('critical-path '.length)) : { n: 0, before_ms: 0, after_ms: 0 };
    const before = last.get(target.name) ?? { n: 0, before_ms: 0, after_ms: 0 };
    last.set(target.name, now);
    const n = now.n - before.n;
    return n > 0 ? { crit_n: n, crit_before_us: ((now.before_ms - before.before_ms) / n) * 1000, crit_after_us: ((now.after_ms - before.after_ms) / n) * 1000 } : {};
  };
}

/** Per target: its critical path in-process (median over rounds), against the floor's and the baseline's, per round. */
function reportCritical(runs, names, baseline, mode) {
  const byRound = new Map();
  for (const r of runs) {
    if (r.crit_n === undefined) continue;
    if (!byRound.has(r.round)) byRound.set(r.round, {});
    byRound.get(r.round)[r.target] = r;
  }
  const rounds = [...byRound.values()];
  const total = (r) => r.crit_before_us + r.crit_after_us;
  for (const n of names) {
    const mine = rounds.filter((r) => r[n] && r.floor);
    if (mine.length === 0) continue;
    const before = median(mine.map((r) => r[n].crit_before_us));
    const after = median(mine.map((r) => r[n].crit_after_us));
    const vsFloor = mine.map((r) => total(r[n]) / total(r.floor));
    const vsBase = n === baseline || n === 'floor' ? '' : `  / ${baseline}: median ${median(mine.filter((r) => r[baseline]).map((r) => total(r[n]) / total(r[baseline]))).toFixed(3)}x`;
    log(`${mode.padEnd(6)} ${n.padEnd(14)} critical path ${(before + after).toFixed(1)} µs (to upstream ${before.toFixed(1)}, after its answer ${after.toFixed(1)})  / floor's: median ${median(vsFloor).toFixed(2)}x (rounds ${vsFloor.map((x) => x.toFixed(2)).join(' ')})${vsBase}`);
  }
}
