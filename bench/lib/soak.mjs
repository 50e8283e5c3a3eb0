// Soak: a fixed number of requests through Switchyard (json and stream alternating), RSS sampled.
import { cpuSeconds, memoryMb } from './procs.mjs';
import { runWrk, writeScript } from './wrk.mjs';
import { setInterval, clearInterval } from 'node:timers';

/**
 * Sends about `total` requests in wrk segments sized from the measured rate, sampling RSS every
 * second. Growth is the last sample minus the one taken after the first two segments (one json,
 * one stream: JIT, pools and caches have settled by then).
 */
export async function runSoak({ target, bodies, total, conns, tmp, log, warmSeconds = 3, maxSegmentSeconds = 8 }) {
  const scripts = { json: writeScript(tmp, 'soak-json', bodies.json, target.headers), stream: writeScript(tmp, 'soak-stream', bodies.stream, target.headers) };
  const t0 = Date.now();
  const samples = [];
  let sent = 0;
  let baseline = null;
  const sample = () => samples.push({ s: (Date.now() - t0) / 1000, requests: sent, rss_mb: memoryMb(target.pid).rss });
  const timer = setInterval(sample, 1000);
  const cpu0 = cpuSeconds(target.pid);
  let rps = 2000;
  let errors = 0;
  let segment = 0;
  try {
    while (sent < total) {
      const mode = segment % 2 === 0 ? 'json' : 'stream';
      const seconds = segment < 2 ? warmSeconds : Math.max(1, Math.min(maxSegmentSeconds, Math.ceil((total - sent) / rps)));
      const w = await runWrk({ url: target.url, script: scripts[mode], connections: conns, seconds });
      sent += w.requests;
      errors += w.errors;
      rps = Math.max(1, w.rps);
      segment += 1;
      if (segment === 2) baseline = { requests: sent, rss_mb: memoryMb(target.pid).rss };
      log(`  soak ${mode.padEnd(6)} ${sent.toLocaleString('en-US').padStart(8)} requests  ${w.rps.toFixed(0)} req/s  rss ${memoryMb(target.pid).rss.toFixed(1)} MB`);
    }
  } finally {
    clearInterval(timer);
  }
  sample();
  const cpu = cpuSeconds(target.pid) - cpu0;
  const last = samples[samples.length - 1];
  const mem = memoryMb(target.pid);
  return {
    trend_mb: quarterTrend(samples),
    requests: sent,
    errors,
    seconds: (Date.now() - t0) / 1000,
    cpu_us_per_req: (cpu / sent) * 1e6,
    baseline,
    final_rss_mb: last.rss_mb,
    peak_rss_mb: mem.hwm,
    growth_mb: baseline ? last.rss_mb - baseline.rss_mb : null,
    samples,
  };
}

/**
 * Mean RSS of the last quarter of the run minus that of the second quarter: robust to the GC
 * sawtooth, near zero once memory has plateaued, positive while it still climbs (a leak).
 */
export function quarterTrend(samples) {
  const q = Math.floor(samples.length / 4);
  if (q < 1) return null;
  const mean = (xs) => xs.reduce((a, x) => a + x.rss_mb, 0) / xs.length;
  return mean(samples.slice(samples.length - q)) - mean(samples.slice(q, 2 * q));
}
