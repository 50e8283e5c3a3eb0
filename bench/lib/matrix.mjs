// The main measurement: every target under the same wrk load, in interleaved rounds.
import { cpuSeconds, eventLoopDelay } from './procs.mjs';
import { runWrk, writeScript } from './wrk.mjs';
/* global fetch */

export const MODES = ['json', 'stream'];

/** One request through a target, checked for the answer we expect; returns an error text or null. */
export async function smoke(target, body, mode) {
  try {
    const res = await fetch(target.url, { method: 'POST', headers: { 'content-type': 'application/json', ...target.headers }, body });
    const text = await res.text();
    if (res.status !== 200) return `HTTP ${res.status}: ${text.slice(0, 160)}`;
    if (mode === 'stream' ? !text.includes('[DONE]') || !text.includes('word0') : !text.includes('Hello from the benchmark upstream')) {
      return `unexpected answer: ${text.slice(0, 160)}`;
    }
    return null;
  } catch (err) {
    return `request failed: ${err.message}`;
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Runs rounds x modes x connections x targets. Targets rotate their order each round so no target
 * always runs right after the same neighbour. CPU is the target process's own user+sys time.
 */
const upstreamStats = async (svc) => (await fetch(`http://127.0.0.1:${svc.port}/__stats`)).json();

/** Requests a bench upstream (a failover variant's 503 primary) has served, not counting this query. */
const requestsServed = async (svc) => (await upstreamStats(svc)).requests;

export async function runMatrix({ targets, upstream, bodies, conns, seconds, rounds, warmupSeconds, tmp, log, afterCell }) {
  const runnable = (t, mode) => !t.skip?.[mode];
  // A target with its own `conns` (the full run's variants) runs only at those.
  const runsAt = (t, c) => !t.conns || t.conns.includes(c);
  const scripts = new Map();
  for (const t of targets) for (const mode of MODES) scripts.set(`${t.name}/${mode}`, writeScript(tmp, `${t.name}-${mode}`, bodies[mode], t.headers));
  for (const t of targets) {
    for (const mode of MODES) {
      // The upstream needs no JIT warm-up of its own: it already served every gateway's warm-up.
      if (runnable(t, mode) && t.name !== 'direct') await runWrk({ url: t.url, script: scripts.get(`${t.name}/${mode}`), connections: 16, seconds: warmupSeconds });
    }
  }
  // Whatever the targets counted during the warm-up is not any cell's.
  if (afterCell) for (const t of targets) await afterCell(t);
  const runs = [];
  for (let r = 0; r < rounds; r++) {
    for (const mode of MODES) {
      for (const c of conns) {
        const order = targets.map((_, i) => targets[(i + r) % targets.length]);
        for (const t of order) {
          if (!runnable(t, mode) || !runsAt(t, c)) continue;
          const up0 = await upstreamStats(upstream);
          const primary0 = t.primary ? await requestsServed(t.primary) : 0;
          if (t.eld) await eventLoopDelay(t); // starts the cell's histogram afresh
          const cpu0 = cpuSeconds(t.pid);
          const w = await runWrk({ url: t.url, script: scripts.get(`${t.name}/${mode}`), connections: c, seconds });
          const cpu = cpuSeconds(t.pid) - cpu0;
          const eld = t.eld ? await eventLoopDelay(t) : undefined;
          const up1 = await upstreamStats(upstream);
          const primaryRequests = t.primary ? (await requestsServed(t.primary)) - primary0 - 1 : undefined;
          const extra = afterCell ? await afterCell(t) : {};
          runs.push({ round: r, mode, conns: c, target: t.name, ...w, cpu_s: cpu, eld_p99_ms: eld?.p99_ms ?? null, upstream_connections: up1.connections - up0.connections, primary_requests: primaryRequests, ...extra });
          log(`  round ${r + 1}/${rounds} ${mode.padEnd(6)} c=${String(c).padStart(2)} ${t.name.padEnd(10)} ${w.rps.toFixed(0).padStart(6)} req/s  p50 ${(w.p50_us / 1000).toFixed(2)} ms  p99 ${(w.p99_us / 1000).toFixed(2)} ms  cpu ${((cpu / Math.max(1, w.requests)) * 1e6).toFixed(0)} µs/req${eld ? `  eld p99 ${eld.p99_ms} ms` : ''}${w.errors ? `  errors ${w.errors}` : ''}`);
        }
      }
    }
  }
  return { runs, cells: aggregate(runs) };
}

/** Sums requests and CPU over rounds (the steady figures) and takes the median round's latencies. */
function aggregate(runs) {
  const groups = new Map();
  for (const r of runs) {
    const key = `${r.mode}|${r.conns}|${r.target}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  const cells = [];
  for (const rs of groups.values()) {
    const requests = rs.reduce((a, r) => a + r.requests, 0);
    const secs = rs.reduce((a, r) => a + r.duration_us / 1e6, 0);
    const cpu = rs.reduce((a, r) => a + r.cpu_s, 0);
    cells.push({
      mode: rs[0].mode,
      conns: rs[0].conns,
      target: rs[0].target,
      rounds: rs.length,
      requests,
      errors: rs.reduce((a, r) => a + r.errors, 0),
      rps: requests / secs,
      p50_us: median(rs.map((r) => r.p50_us)),
      p99_us: median(rs.map((r) => r.p99_us)),
      cpu_us_per_req: requests ? (cpu / requests) * 1e6 : NaN,
      eld_p99_ms: rs.some((r) => r.eld_p99_ms !== null) ? median(rs.map((r) => r.eld_p99_ms ?? NaN)) : null,
      upstream_connections: rs.reduce((a, r) => a + r.upstream_connections, 0),
      primary_requests: rs[0].primary_requests === undefined ? undefined : rs.reduce((a, r) => a + r.primary_requests, 0),
    });
  }
  const find = (mode, conns, target) => cells.find((c) => c.mode === mode && c.conns === conns && c.target === target);
  for (const c of cells) {
    const direct = find(c.mode, c.conns, 'direct');
    const floor = find(c.mode, c.conns, 'floor');
    const portkey = find(c.mode, c.conns, 'portkey');
    c.added_p50_us = direct && c.target !== 'direct' ? c.p50_us - direct.p50_us : null;
    c.added_p99_us = direct && c.target !== 'direct' ? c.p99_us - direct.p99_us : null;
    c.rps_vs_floor = floor && c.target !== 'direct' ? c.rps / floor.rps : null;
    c.cpu_vs_floor = floor && c.target !== 'direct' ? c.cpu_us_per_req / floor.cpu_us_per_req : null;
    c.cpu_vs_portkey = portkey && c.target !== 'direct' ? c.cpu_us_per_req / portkey.cpu_us_per_req : null;
    c.rps_vs_portkey = portkey && c.target !== 'direct' ? c.rps / portkey.rps : null;
  }
  return cells;
}
