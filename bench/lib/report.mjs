// Turns measurements into one padded Markdown table (readable in a terminal and on GitHub) and verdicts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ms = (us) => (us === null || us === undefined || Number.isNaN(us) ? '–' : (us / 1000).toFixed(2));
const x = (r) => (r === null || r === undefined || Number.isNaN(r) ? '–' : `${r.toFixed(2)}x`);
const n0 = (v) => (v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(0));

/** A Markdown table with columns padded to equal width. */
export function table(header, rows) {
  const all = [header, ...rows].map((r) => r.map(String));
  const w = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(w[i])).join(' | ')} |`;
  return [line(all[0]), `| ${w.map((n) => '-'.repeat(n)).join(' | ')} |`, ...all.slice(1).map(line)].join('\n');
}

export function matrixTable(cells, order) {
  const rows = [...cells]
    .sort((a, b) => a.mode.localeCompare(b.mode) || a.conns - b.conns || order.indexOf(a.target) - order.indexOf(b.target))
    .map((c) => [
      c.mode,
      c.conns,
      c.target,
      n0(c.rps),
      ms(c.p50_us),
      ms(c.p99_us),
      ms(c.added_p50_us),
      ms(c.added_p99_us),
      n0(c.cpu_us_per_req),
      c.eld_p99_ms === null || c.eld_p99_ms === undefined ? '–' : c.eld_p99_ms.toFixed(2),
      x(c.cpu_vs_floor),
      x(c.rps_vs_floor),
      x(c.cpu_vs_portkey),
      c.upstream_connections,
      c.errors,
    ]);
  return table(['mode', 'conns', 'target', 'req/s', 'p50 ms', 'p99 ms', '+p50 ms', '+p99 ms', 'CPU µs/req', 'event-loop delay p99 ms', 'CPU vs floor', 'req/s vs floor', 'CPU vs portkey', 'upstream conns opened', 'errors'], rows);
}

/**
 * `switchyard-workers2` against `switchyard` (one process), cell by cell of the same run, beside the
 * floor proxy's own two-process ratio: the ceiling this machine allows with wrk and the upstream on it.
 */
export function workersTable(cells) {
  const byCell = (target) => new Map(cells.filter((c) => c.target === target).map((c) => [`${c.mode} ${c.conns}`, c]));
  const one = byCell('switchyard');
  const floor = byCell('floor');
  const floor2 = byCell('floor-workers2');
  const rows = cells
    .filter((c) => c.target === 'switchyard-workers2' && one.has(`${c.mode} ${c.conns}`))
    .sort((a, b) => a.mode.localeCompare(b.mode) || a.conns - b.conns)
    .map((c) => {
      const key = `${c.mode} ${c.conns}`;
      const s = one.get(key);
      const f1 = floor.get(key);
      const f2 = floor2.get(key);
      return [c.mode, c.conns, n0(s.rps), n0(c.rps), x(c.rps / s.rps), n0(f1?.rps), n0(f2?.rps), f1 && f2 ? x(f2.rps / f1.rps) : '–', ms(s.p50_us), ms(c.p50_us), n0(s.cpu_us_per_req), n0(c.cpu_us_per_req)];
    });
  return table(['mode', 'conns', '1 process req/s', '2 workers req/s', 'ratio', 'floor 1 process req/s', 'floor 2 workers req/s', 'floor ratio', '1 process p50 ms', '2 workers p50 ms', '1 process CPU µs/req', '2 workers CPU µs/req'], rows);
}

export function ttfbTable(ttfb, order) {
  const direct = ttfb.direct;
  const rows = order
    .filter((t) => ttfb[t])
    .map((t) => {
      const r = ttfb[t];
      return [t, r.n, ms(r.ttfb_p50_us), ms(r.ttfb_p99_us), t === 'direct' ? '–' : ms(r.ttfb_p50_us - direct.ttfb_p50_us), t === 'direct' ? '–' : ms(r.ttfb_p99_us - direct.ttfb_p99_us), ms(r.total_p50_us)];
    });
  return table(['target', 'requests', 'TTFB p50 ms', 'TTFB p99 ms', '+TTFB p50 ms', '+TTFB p99 ms', 'total p50 ms'], rows);
}

/** Issue #18's targets for Switchyard (with #7's TTFB one), each with the measured value and whether it is met. */
export function verdicts(cells, ttfb, coldStart) {
  const cell = (mode, conns, target) => cells.find((c) => c.mode === mode && c.conns === conns && c.target === target);
  const out = [];
  for (const mode of ['json', 'stream']) {
    const sy = cell(mode, 64, 'switchyard');
    const fl = cell(mode, 64, 'floor');
    if (!sy || !fl) continue;
    out.push({ target: `CPU per request ≤ 2x the floor's (${mode}, 64 conns)`, measured: `${n0(sy.cpu_us_per_req)} vs ${n0(fl.cpu_us_per_req)} µs (${x(sy.cpu_vs_floor)})`, met: sy.cpu_vs_floor <= 2 });
    out.push({ target: `throughput ≥ 0.6x the floor's, one process (${mode}, 64 conns)`, measured: `${n0(sy.rps)} vs ${n0(fl.rps)} req/s (${x(sy.rps_vs_floor)})`, met: sy.rps_vs_floor >= 0.6 });
    const w2 = cell(mode, 64, 'switchyard-workers2');
    if (w2) out.push({ target: `--workers 2 ≥ 1.6x one process (${mode}, 64 conns)`, measured: `${x(w2.rps / sy.rps)} (floor's own 2 processes: ${x(cell(mode, 64, 'floor-workers2')?.rps / fl.rps)})`, met: w2.rps / sy.rps >= 1.6 });
  }
  const sy1 = cell('json', 1, 'switchyard');
  const fl1 = cell('json', 1, 'floor');
  if (sy1 && fl1) {
    const tail = sy1.p99_us / fl1.p99_us;
    out.push({ target: "p99 at 1 conn ≤ 2x the floor's p99 (json)", measured: `${ms(sy1.p99_us)} vs ${ms(fl1.p99_us)} ms (${x(tail)})`, met: tail <= 2 });
    const ratio = sy1.added_p50_us / fl1.added_p50_us;
    out.push({ target: "p50 added at 1 conn ≤ 1.5x the floor's added (json)", measured: `${ms(sy1.added_p50_us)} vs ${ms(fl1.added_p50_us)} ms (${x(ratio)})`, met: ratio <= 1.5 });
  }
  if (ttfb?.switchyard && ttfb?.direct) {
    const add = ttfb.switchyard.ttfb_p50_us - ttfb.direct.ttfb_p50_us;
    out.push({ target: 'streaming TTFB added < 1 ms (p50, 1 conn)', measured: `${ms(add)} ms (p99 ${ms(ttfb.switchyard.ttfb_p99_us - ttfb.direct.ttfb_p99_us)} ms)`, met: add < 1000 });
  }
  if (coldStart) out.push({ target: 'cold start: import + create a gateway ≤ 150 ms', measured: `${coldStart.import_and_create_ms.toFixed(0)} ms, CPU ${coldStart.import_and_create_cpu_ms.toFixed(0)} ms (first request +${coldStart.first_request_ms.toFixed(0)} ms)`, met: coldStart.import_and_create_ms <= 150 });
  return out;
}

export function verdictTable(list) {
  return table(['target', 'measured', 'met'], list.map((v) => [v.target, v.measured, v.met ? 'yes' : 'NO']));
}

/** Writes `<name>.json` and `<name>.md` under bench/results/. */
export function writeResults(root, name, json, markdown) {
  const dir = join(root, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(json, null, 2) + '\n');
  writeFileSync(join(dir, `${name}.md`), markdown + '\n');
  return dir;
}
