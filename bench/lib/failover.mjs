// Failover: the primary (the real `switchyard sim openai`, fault-injected to answer 503) and the bench
// upstream as secondary, in one priority group; the client-visible latency with fallback.
import { join } from 'node:path';
import { cpuSeconds, freePort, startService } from './procs.mjs';
import { ROOT, startSwitchyard } from './targets.mjs';
import { runWrk, writeScript } from './wrk.mjs';
import { smoke } from './matrix.mjs';
import process from 'node:process';
/* global fetch */

async function startFailingSim(tmp) {
  const port = await freePort();
  const svc = await startService({ name: 'sim-primary', cmd: process.execPath, args: [join(ROOT, 'bin/switchyard.js'), 'sim', 'openai', '--port', String(port)], port, logFile: join(tmp, 'sim-primary.log') });
  const base = `http://127.0.0.1:${port}`;
  const res = await fetch(`${base}/__sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"status":503}' });
  if (res.status !== 200) throw new Error(`could not set the 503 fault on the simulator: HTTP ${res.status}`);
  return { ...svc, base: `${base}/v1`, stats: async () => (await (await fetch(`${base}/__sim/stats`)).json()).total };
}

// Thresholds no benchmark reaches: the breaker stays closed, so every request pays for the failing primary.
export const NO_BREAKER = { consecutive_failures: 1_000_000_000, min_requests: 1_000_000_000 };

/**
 * Four Switchyards side by side: healthy (secondary only); failover with the defaults (the breaker
 * opens on the primary after a few failures, later requests skip it); failover with the breaker held
 * closed, so every request tries the primary first (default retry policy and retry budget); the same
 * with one attempt per deployment (pure fallback cost).
 */
export async function runFailover({ upstream, bodies, conns, seconds, tmp, log }) {
  const sim = await startFailingSim(tmp);
  const primary = { id: 'primary-503', base: sim.base };
  const secondary = { id: 'secondary', base: upstream.base };
  const setups = [
    { name: 'healthy', deployments: [secondary] },
    { name: 'failover', deployments: [primary, secondary] },
    { name: 'no-breaker', deployments: [primary, secondary], routing: { breaker: NO_BREAKER } },
    { name: 'no-breaker-1try', deployments: [primary, secondary], routing: { breaker: NO_BREAKER, max_attempts_per_deployment: 1 } },
  ];
  const services = [];
  const results = [];
  try {
    for (const s of setups) services.push({ ...s, svc: await startSwitchyard(tmp, s.deployments, { name: `sy-${s.name}`, routing: s.routing }) });
    for (const { name, svc } of services) {
      for (const mode of ['json', 'stream']) {
        const bad = await smoke(svc, bodies[mode], mode);
        if (bad) throw new Error(`${name} ${mode} smoke request failed: ${bad}`);
      }
    }
    for (const mode of ['json', 'stream']) {
      for (const c of conns) {
        for (const { name, svc } of services) {
          const script = writeScript(tmp, `failover-${name}-${mode}`, bodies[mode], {});
          const primaryBefore = await sim.stats();
          const cpu0 = cpuSeconds(svc.pid);
          const w = await runWrk({ url: svc.url, script, connections: c, seconds });
          const cpu = cpuSeconds(svc.pid) - cpu0;
          const primaryHits = (await sim.stats()) - primaryBefore;
          const r = { setup: name, mode, conns: c, rps: w.rps, p50_us: w.p50_us, p99_us: w.p99_us, max_us: w.max_us, requests: w.requests, errors: w.errors, primary_attempts_per_req: primaryHits / Math.max(1, w.requests), cpu_us_per_req: (cpu / Math.max(1, w.requests)) * 1e6 };
          results.push(r);
          log(`  ${name.padEnd(15)} ${mode.padEnd(6)} c=${String(c).padStart(2)} ${w.rps.toFixed(0).padStart(6)} req/s  p50 ${(w.p50_us / 1000).toFixed(2)} ms  p99 ${(w.p99_us / 1000).toFixed(2)} ms  primary attempts/req ${r.primary_attempts_per_req.toFixed(2)}${w.errors ? `  errors ${w.errors}` : ''}`);
        }
      }
    }
  } finally {
    for (const { svc } of services) await svc.stop();
    await sim.stop();
  }
  return results;
}
