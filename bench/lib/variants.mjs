// Switchyard variants the full run adds to the matrix at 64 connections only: metrics and tracing
// off/on (issue #18: their cost, measured side by side), and failover with the primary answering 503.
import { startSwitchyard, startUpstream } from './targets.mjs';
import { NO_BREAKER } from './failover.mjs';
import { table } from './report.mjs';

export const VARIANT_CONNS = [64];

/**
 * Starts the variants; every one is `{ ...service, name, conns: [64] }` ready for runMatrix, and the
 * helpers they need (the 503 primary, the no-op OTLP collector) are pushed onto `services` to stop.
 * The default config has metrics on and tracing off.
 */
export async function startVariants(tmp, upstream, services) {
  const healthy = { id: 'bench-upstream', base: upstream.base };
  // A second bench upstream stands in for the collector: it answers every POST 200 and counts requests.
  const collector = await startUpstream(tmp, { name: 'otlp-sink' });
  services.push(collector);
  const primary = await startUpstream(tmp, { name: 'primary-503', status: 503 });
  services.push(primary);
  const failing = { id: 'primary-503', base: primary.base };
  // The default config again, run only where the variants run: the like-for-like reference (the main
  // `switchyard` target also serves the 1- and 16-connection cells, so it is warmer).
  const specs = [
    { name: 'switchyard-default', deployments: [healthy] },
    { name: 'switchyard-obs-off', deployments: [healthy], extra: ['observability:', '  metrics: {enabled: false}'] },
    {
      name: 'switchyard-tracing',
      deployments: [healthy],
      extra: ['observability:', `  tracing: {enabled: true, endpoint: "http://127.0.0.1:${collector.port}/v1/traces"}`],
      collector,
    },
    { name: 'switchyard-failover', deployments: [failing, healthy], primary },
    { name: 'switchyard-failover-no-breaker', deployments: [failing, healthy], routing: { breaker: NO_BREAKER }, primary },
  ];
  const variants = [];
  for (const s of specs) {
    const svc = await startSwitchyard(tmp, s.deployments, { name: s.name, routing: s.routing, extra: s.extra });
    services.push(svc);
    variants.push({ ...svc, name: s.name, conns: VARIANT_CONNS, primary: s.primary, collector: s.collector });
  }
  return variants;
}

const cellOf = (cells, mode, conns, target) => cells.find((c) => c.mode === mode && c.conns === conns && c.target === target);
const fixed = (v, d = 0) => (v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(d));

/** Metrics off / on (default) / on with tracing, CPU and throughput against the all-off row. */
export function observabilityTable(cells) {
  const rows = [];
  for (const mode of ['json', 'stream']) {
    for (const conns of VARIANT_CONNS) {
      const off = cellOf(cells, mode, conns, 'switchyard-obs-off');
      if (!off) continue;
      for (const [target, what] of [
        ['switchyard-obs-off', 'metrics off, tracing off'],
        ['switchyard-default', 'metrics on, tracing off (default)'],
        ['switchyard-tracing', 'metrics on, tracing on (OTLP/HTTP to a local sink)'],
      ]) {
        const c = cellOf(cells, mode, conns, target);
        if (c) rows.push([mode, conns, what, fixed(c.rps), fixed(c.p99_us / 1000, 2), fixed(c.cpu_us_per_req), `${fixed(c.cpu_us_per_req / off.cpu_us_per_req, 2)}x`, `${fixed(c.rps / off.rps, 2)}x`, c.errors]);
      }
    }
  }
  return table(['mode', 'conns', 'switchyard', 'req/s', 'p99 ms', 'CPU µs/req', 'CPU vs all off', 'req/s vs all off', 'errors'], rows);
}

/** Healthy against failover (defaults) and failover with the breaker held closed, same run. */
export function failoverTable(cells) {
  const rows = [];
  for (const mode of ['json', 'stream']) {
    for (const conns of VARIANT_CONNS) {
      const healthy = cellOf(cells, mode, conns, 'switchyard-default');
      for (const [target, what] of [
        ['switchyard-default', 'healthy (one deployment)'],
        ['switchyard-failover', 'primary 503, defaults (breaker opens)'],
        ['switchyard-failover-no-breaker', 'primary 503, breaker held closed'],
      ]) {
        const c = cellOf(cells, mode, conns, target);
        if (!c || !healthy) continue;
        const attempts = c.primary_requests === undefined ? '–' : fixed(c.primary_requests / Math.max(1, c.requests), 2);
        rows.push([mode, conns, what, fixed(c.rps), fixed(c.p50_us / 1000, 2), fixed(c.p99_us / 1000, 2), fixed(c.cpu_us_per_req), `${fixed(c.rps / healthy.rps, 2)}x`, attempts, c.errors]);
      }
    }
  }
  return table(['mode', 'conns', 'setup', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'req/s vs healthy', 'primary attempts/req', 'errors'], rows);
}
