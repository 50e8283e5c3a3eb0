// `npm run bench`: Switchyard against the upstream directly, a minimal Node proxy (the floor) and
// Portkey's gateway, under the same wrk load. See bench/README.md for how to read the output.
//   node bench/run.mjs [--quick] [--soak] [--failover] [--profile [--conns N]] [--seconds N] [--rounds N] [--no-portkey]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { memoryMb } from './lib/procs.mjs';
import { ensureWrk } from './lib/wrk.mjs';
import { ensureBuilt, MODEL, PORTKEY_VERSION, ROOT, RUNTIME_NODE_OPTIONS, startFloor, startPortkey, startSwitchyard, startUpstream } from './lib/targets.mjs';
import { MODES, runMatrix, smoke } from './lib/matrix.mjs';
import { measureTtfb } from './lib/ttfb.mjs';
import { runSoak } from './lib/soak.mjs';
import { runFailover } from './lib/failover.mjs';
import { profileSwitchyard } from './lib/profile.mjs';
import { measureColdStart } from './lib/cold-start.mjs';
import { failoverTable, observabilityTable, startVariants, VARIANT_CONNS } from './lib/variants.mjs';
import { matrixTable, workersTable, table, ttfbTable, verdicts, verdictTable, writeResults } from './lib/report.mjs';
import process from 'node:process';

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    soak: { type: 'boolean', default: false },
    failover: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    conns: { type: 'string' },
    rounds: { type: 'string' },
    'soak-requests': { type: 'string', default: '200000' },
    'no-portkey': { type: 'boolean', default: false },
    'keep-tmp': { type: 'boolean', default: false },
  },
});

const log = (line) => process.stdout.write(line + '\n');
const messages = [{ role: 'system', content: 'You are a concise assistant for a benchmark.' }, { role: 'user', content: 'Write one short sentence about latency in distributed systems, and mention a proxy.' }];
const BODIES = {
  json: JSON.stringify({ model: MODEL, messages, max_tokens: 64, temperature: 0.2 }),
  stream: JSON.stringify({ model: MODEL, messages, max_tokens: 64, temperature: 0.2, stream: true, stream_options: { include_usage: true } }),
};
const ORDER = ['direct', 'floor', 'floor-workers2', 'switchyard', 'switchyard-workers2', 'switchyard-default', 'switchyard-obs-off', 'switchyard-tracing', 'switchyard-failover', 'switchyard-failover-no-breaker', 'portkey'];

function machine() {
  return { nproc: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, node_options: RUNTIME_NODE_OPTIONS, platform: `${process.platform} ${process.arch}` };
}

async function main() {
  const started = Date.now();
  const mode = opt.soak ? 'soak' : opt.failover ? 'failover' : opt.profile ? 'profile' : opt.quick ? 'quick' : 'full';
  ensureWrk(log);
  log(`switchyard bench (${mode}) on ${machine().nproc} cores, ${machine().cpu}, node ${process.version}, targets with NODE_OPTIONS=${RUNTIME_NODE_OPTIONS}`);
  log(`dist: ${ensureBuilt(log)}`);
  const tmp = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const services = [];
  const stopAll = async () => {
    for (const s of services.reverse()) await s.stop();
    if (!opt['keep-tmp']) rmSync(tmp, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    const upstream = await startUpstream(tmp);
    services.push(upstream);
    if (mode === 'soak') return await soak(tmp, upstream, services);
    if (mode === 'failover') return await failover(tmp, upstream);
    if (mode === 'profile') return await profile(tmp, upstream);
    return await compare(tmp, upstream, services, mode, started);
  } finally {
    await stopAll();
    log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
}

async function compare(tmp, upstream, services, mode, started) {
  const quick = mode === 'quick';
  const settings = {
    conns: quick ? [1, 64] : [1, 16, 64],
    seconds: Number(opt.seconds ?? (quick ? 1 : 5)),
    rounds: Number(opt.rounds ?? (quick ? 1 : 3)),
    warmupSeconds: quick ? 1 : 2,
    ttfbRequests: quick ? 100 : 1000,
  };
  // First, with only the upstream running: a function's cold start happens on an otherwise idle machine.
  const coldStart = await measureColdStart(ROOT, upstream, MODEL, quick ? 3 : 7);
  log(`cold start: import + create ${coldStart.import_and_create_ms.toFixed(0)} ms (CPU ${coldStart.import_and_create_cpu_ms.toFixed(0)} ms), first request ${coldStart.first_request_ms.toFixed(0)} ms (median of ${coldStart.samples})`);
  const direct = { ...upstream, name: 'direct' };
  const floor = await startFloor(tmp, upstream);
  services.push(floor);
  const sy = await startSwitchyard(tmp, [{ id: 'bench-upstream', base: upstream.base }]);
  services.push(sy);
  const sy2 = await startSwitchyard(tmp, [{ id: 'bench-upstream', base: upstream.base }], { name: 'switchyard-workers2', workers: 2 });
  services.push(sy2);
  // The floor in two processes too: what a second worker can buy while wrk and the upstream share the cores.
  const floor2 = await startFloor(tmp, upstream, { name: 'floor-workers2', workers: 2 });
  services.push(floor2);
  const targets = [direct, floor, floor2, { ...sy, name: 'switchyard' }, { ...sy2, name: 'switchyard-workers2' }];
  // Metrics/tracing on vs off and failover, at 64 connections: full runs only (quick stays ~35 s).
  if (!quick) targets.push(...(await startVariants(tmp, upstream, services)));
  const skipped = {};
  if (quick || opt['no-portkey']) skipped.portkey = quick ? 'not run in --quick' : '--no-portkey';
  else {
    const pk = await startPortkey(tmp, upstream, log);
    if (pk.skipped) skipped.portkey = pk.skipped;
    else {
      services.push(pk);
      targets.push({ ...pk, name: 'portkey' });
    }
  }
  for (const t of targets) {
    t.skip = {};
    for (const m of MODES) {
      const bad = await smoke(t, BODIES[m], m);
      if (bad) {
        t.skip[m] = bad;
        skipped[`${t.name} ${m}`] = bad;
      }
    }
  }
  for (const [what, why] of Object.entries(skipped)) log(`skipped: ${what}: ${why}`);
  for (const name of ['direct', 'floor', 'switchyard']) {
    const t = targets.find((x) => x.name === name);
    if (MODES.some((m) => t.skip[m])) throw new Error(`${name} does not answer correctly; see the log in ${tmp} (run with --keep-tmp)`);
  }
  log(`matrix: ${settings.rounds} rounds x ${MODES.length} modes x conns ${settings.conns.join('/')} x ${targets.length} targets, ${settings.seconds} s each`);
  const { runs, cells } = await runMatrix({ targets, upstream, bodies: BODIES, ...settings, tmp, log });
  const ttfbTargets = targets.filter((t) => !t.skip.stream && !t.conns);
  log(`streaming TTFB: ${settings.ttfbRequests} sequential requests per target`);
  const ttfb = await measureTtfb(ttfbTargets, BODIES.stream, { requests: settings.ttfbRequests, block: quick ? 50 : 100 });
  const memory = Object.fromEntries(targets.map((t) => [t.name, memoryMb(t.pid)]));
  const ledgerBytes = sy.ledger ? fileSize(sy.ledgerFile) : null;
  log(`ledger: ${ledgerNote(sy.ledger, ledgerBytes)}`);
  const verdictList = verdicts(cells, ttfb, coldStart);

  const order = ORDER.filter((n) => targets.some((t) => t.name === n));
  const memTable = table(['target', 'peak RSS MB', 'RSS now MB'], order.map((n) => [n, memory[n].hwm.toFixed(1), memory[n].rss.toFixed(1)]));
  const info = machine();
  const header = [
    `# Switchyard benchmark (${mode})`,
    '',
    `${new Date().toISOString()} · ${info.nproc} cores · ${info.cpu} · node ${info.node} (NODE_OPTIONS of the image: \`${info.node_options}\`, every target) · wrk -t1 · ${settings.rounds} round(s) x ${settings.seconds} s per cell`,
    `ledger: ${ledgerNote(sy.ledger, ledgerBytes)} · access log: info, to a file · Portkey ${PORTKEY_VERSION}${skipped.portkey ? ` skipped (${skipped.portkey})` : ''}`,
  ];
  const skippedLines = Object.entries(skipped).map(([k, v]) => `- skipped ${k}: ${v}`);
  const md = [
    ...header,
    ...(skippedLines.length ? ['', ...skippedLines] : []),
    '',
    '## Throughput, latency, CPU',
    '',
    matrixTable(cells, order),
    '',
    '## Workers: `serve --workers 2` against one process, and the floor proxy likewise (same run; CPU and memory summed over the primary and its workers)',
    '',
    workersTable(cells),
    '',
    ...(quick
      ? []
      : [
          `## Metrics and tracing off / on (same run, ${VARIANT_CONNS.join(', ')} connections)`,
          '',
          observabilityTable(cells),
          '',
          `## Failover: primary answering 503, secondary the bench upstream (same run, ${VARIANT_CONNS.join(', ')} connections)`,
          '',
          failoverTable(cells),
          '',
        ]),
    '## Streaming time to first byte (1 connection, sequential)',
    '',
    ttfbTable(ttfb, order),
    '',
    '## Cold start (fresh process, one openai-compatible deployment; median)',
    '',
    table(
      ['import ms', 'create ms', 'import + create ms', 'first request ms', 'import + create CPU ms', 'first request CPU ms'],
      [[coldStart.import_ms, coldStart.create_ms, coldStart.import_and_create_ms, coldStart.first_request_ms, coldStart.import_and_create_cpu_ms, coldStart.first_request_cpu_ms].map((v) => v.toFixed(1))],
    ),
    '',
    '## Memory',
    '',
    memTable,
    '',
    '## Targets (issue #18; TTFB from #7)',
    '',
    verdictTable(verdictList),
  ].join('\n');
  log('\n' + md);
  const dir = writeResults(ROOT, mode, { mode, machine: info, settings, skipped, ledger: sy.ledger, ledgerBytes, cells, runs, ttfb, coldStart, memory, verdicts: verdictList, seconds: (Date.now() - started) / 1000 }, md);
  log(`\nwrote ${dir}/${mode}.json and ${mode}.md`);
}

function ledgerNote(supported, bytes) {
  if (!supported) return 'NOT measured: this build has no `ledger:` config section';
  if (bytes === null) return 'enabled in the config (sqlite), but no ledger file was written: serve does not run the ledger yet';
  return `on (sqlite, ${bytes} bytes written)`;
}

function fileSize(path) {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}

async function soak(tmp, upstream, services) {
  const sy = await startSwitchyard(tmp, [{ id: 'bench-upstream', base: upstream.base }]);
  services.push(sy);
  const total = Number(opt['soak-requests']);
  log(`soak: ${total.toLocaleString('en-US')} requests through Switchyard at 64 connections, json and stream alternating`);
  const r = await runSoak({ target: sy, bodies: BODIES, total, conns: 64, tmp, log });
  const ledger = ledgerNote(sy.ledger, sy.ledger ? fileSize(sy.ledgerFile) : null);
  log(`ledger: ${ledger}`);
  const verdict = { target: 'RSS growth < 30 MB over the soak', measured: r.growth_mb === null ? 'no baseline' : `${r.growth_mb.toFixed(1)} MB (from ${r.baseline.rss_mb.toFixed(1)} MB after ${r.baseline.requests.toLocaleString('en-US')} requests to ${r.final_rss_mb.toFixed(1)} MB)`, met: r.growth_mb !== null && r.growth_mb < 30 };
  const info = machine();
  const md = [
    '# Switchyard benchmark (soak)',
    '',
    `${new Date().toISOString()} · ${info.nproc} cores · ${info.cpu} · node ${info.node} (NODE_OPTIONS \`${info.node_options}\`) · ledger: ${ledger}`,
    '',
    table(['requests', 'errors', 'seconds', 'CPU µs/req', 'RSS after warm-up MB', 'final RSS MB', 'peak RSS MB', 'growth MB', 'trend MB (Q4-Q2 mean)'], [[r.requests, r.errors, r.seconds.toFixed(0), r.cpu_us_per_req.toFixed(0), r.baseline?.rss_mb.toFixed(1) ?? '–', r.final_rss_mb.toFixed(1), r.peak_rss_mb.toFixed(1), r.growth_mb?.toFixed(1) ?? '–', r.trend_mb?.toFixed(1) ?? '–']]),
    '',
    verdictTable([verdict]),
  ].join('\n');
  log('\n' + md);
  const dir = writeResults(ROOT, 'soak', { mode: 'soak', machine: info, ledger, ...r, verdict }, md);
  log(`\nwrote ${dir}/soak.json and soak.md`);
}

async function failover(tmp, upstream) {
  const seconds = Number(opt.seconds ?? 5);
  const results = await runFailover({ upstream, bodies: BODIES, conns: [1, 16], seconds, tmp, log });
  const info = machine();
  const rows = results.map((r) => [r.setup, r.mode, r.conns, r.rps.toFixed(0), (r.p50_us / 1000).toFixed(2), (r.p99_us / 1000).toFixed(2), (r.max_us / 1000).toFixed(1), r.primary_attempts_per_req.toFixed(2), r.cpu_us_per_req.toFixed(0), r.errors]);
  const md = [
    '# Switchyard benchmark (failover)',
    '',
    `${new Date().toISOString()} · ${info.nproc} cores · ${info.cpu} · node ${info.node} · primary: switchyard sim openai answering 503, secondary: bench upstream · ${seconds} s per cell`,
    '',
    table(['setup', 'mode', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'primary attempts/req', 'CPU µs/req', 'errors'], rows),
  ].join('\n');
  log('\n' + md);
  const dir = writeResults(ROOT, 'failover', { mode: 'failover', machine: info, seconds, results }, md);
  log(`\nwrote ${dir}/failover.json and failover.md`);
}

async function profile(tmp, upstream) {
  const seconds = Number(opt.seconds ?? 8);
  const conns = Number(opt.conns ?? 64);
  const sections = ['# Switchyard CPU profile (self time)', '', `${new Date().toISOString()} · node --cpu-prof · ${conns} connection(s) · ${seconds} s after a 2 s warm-up`];
  const json = {};
  for (const mode of MODES) {
    const p = await profileSwitchyard({ tmp, upstream, body: BODIES[mode], mode, conns, seconds, log });
    json[mode] = p;
    const rows = p.top.map((t) => [t.fn, t.self_ms.toFixed(0), `${(t.share_of_busy * 100).toFixed(1)}%`, ((t.self_ms * 1000) / p.requests).toFixed(1)]);
    sections.push('', `## ${mode}: ${p.requests} requests, ${p.busyMs.toFixed(0)} ms busy on the main thread (${((p.busyMs * 1000) / p.requests).toFixed(0)} µs/request)`, '', table(['function', 'self ms', 'share of busy', 'µs/request'], rows));
  }
  const md = sections.join('\n');
  log('\n' + md);
  const dir = writeResults(ROOT, 'profile', { mode: 'profile', machine: machine(), seconds, ...json }, md);
  log(`\nwrote ${dir}/profile.json and profile.md`);
}

main().catch((err) => {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exitCode = 1;
});
