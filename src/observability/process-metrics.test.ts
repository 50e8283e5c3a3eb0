import { describe, expect, it } from 'vitest';
import { ClusterMetrics, type MetricsWorker } from '../cluster/metrics.js';
import { silentLogger } from '../core/logger.js';
import type { MetricJson, RegistryJson } from './metric-json.js';
import { GatewayMetrics } from './metrics.js';
import { primarySeries } from './process-metrics.js';

/** The value of an unlabelled sample `name` in a text exposition. */
function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

/** A worker's answer with each unlabelled sample named in `values` set to that value. */
function withValues(answer: RegistryJson, values: Readonly<Record<string, number>>): RegistryJson {
  return {
    registry: answer.registry,
    metrics: answer.metrics.map((m) => (m.name in values ? { ...m, values: m.values.map((v) => ({ ...v, value: values[m.name] as number })) } : m)),
  };
}

/** Lag gauges of a monitor that measured something since it was last read (its lowest below its highest). */
const measuredLag = (p99: number): Record<string, number> => ({ nodejs_eventloop_lag_min_seconds: p99 / 10, nodejs_eventloop_lag_max_seconds: p99, nodejs_eventloop_lag_p99_seconds: p99 });

const worker = (id: number, answer: () => Promise<RegistryJson>): MetricsWorker => ({ id, collect: answer });

/** Spends about `ms` of CPU time on this thread. */
function burnCpu(ms: number): void {
  const start = process.cpuUsage();
  while ((process.cpuUsage(start).user + process.cpuUsage(start).system) / 1000 < ms);
}

describe('process and runtime metrics', () => {
  it('are in every scrape under their standard names', async () => {
    const text = await new GatewayMetrics([]).render();
    for (const [name, type] of [
      ['process_cpu_seconds_total', 'counter'],
      ['process_resident_memory_bytes', 'gauge'],
      ['process_start_time_seconds', 'gauge'],
      ['nodejs_eventloop_lag_p99_seconds', 'gauge'],
      ['nodejs_heap_size_used_bytes', 'gauge'],
      ['nodejs_gc_duration_seconds', 'histogram'],
    ]) {
      expect(text, name).toContain(`# TYPE ${name} ${type}\n`);
    }
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sample(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('are shared by the gateways of one process, not collected again for each (a reload builds a new one)', async () => {
    const a = new GatewayMetrics([]);
    const b = new GatewayMetrics([]);
    expect(a.registry.getSingleMetric('nodejs_eventloop_lag_p99_seconds')).toBe(b.registry.getSingleMetric('nodejs_eventloop_lag_p99_seconds'));
    expect(a.registry.getSingleMetric('switchyard_requests_in_flight')).not.toBe(b.registry.getSingleMetric('switchyard_requests_in_flight'));
  });

  it("combine across serve --workers with the primary's own process: CPU, memory and heap summed, the event loop's lag the worst process's", async () => {
    const own = new GatewayMetrics([]);
    const first = (): Promise<RegistryJson> => own.json().then((j) => withValues(j, { process_cpu_seconds_total: 2, process_resident_memory_bytes: 100e6, nodejs_heap_size_used_bytes: 40e6, nodejs_eventloop_lag_p99_seconds: 0.01 }));
    const second = (): Promise<RegistryJson> => own.json().then((j) => withValues(j, { process_cpu_seconds_total: 3, process_resident_memory_bytes: 150e6, nodejs_heap_size_used_bytes: 60e6, nodejs_eventloop_lag_p99_seconds: 0.8 }));
    const primary = (lagP99: number) => async (): Promise<MetricJson[]> =>
      primarySeries(withValues(await own.json(), { process_cpu_seconds_total: 1, process_resident_memory_bytes: 50e6, nodejs_heap_size_used_bytes: 20e6, ...measuredLag(lagP99) }).metrics);
    const combined = (lagP99: number): Promise<string> => new ClusterMetrics({ workers: () => [worker(1, first), worker(2, second)], logger: silentLogger, ownProcess: primary(lagP99) }).render();
    const text = await combined(0.02);
    expect(sample(text, 'process_cpu_seconds_total')).toBe(6);
    expect(sample(text, 'process_resident_memory_bytes')).toBe(300e6);
    expect(sample(text, 'nodejs_heap_size_used_bytes')).toBe(120e6);
    expect(sample(text, 'nodejs_eventloop_lag_p99_seconds')).toBe(0.8);
    expect(sample(text, 'switchyard_primary_eventloop_lag_p99_seconds')).toBe(0.02);
    expect(sample(text, 'process_start_time_seconds')).toBeGreaterThan(0);
    expect(text).toContain('# TYPE nodejs_gc_duration_seconds histogram\n');
    // A stuck primary holds up every worker's shared state and budgets: seen in the worst lag, and apart.
    const stuck = await combined(2.5);
    expect(sample(stuck, 'nodejs_eventloop_lag_p99_seconds')).toBe(2.5);
    expect(sample(stuck, 'switchyard_primary_eventloop_lag_p99_seconds')).toBe(2.5);
  });

  it("leave out the primary's event-loop lag while its monitor has measured nothing (its first scrape starts it)", async () => {
    const own = new GatewayMetrics([]);
    const unmeasured = { nodejs_eventloop_lag_min_seconds: 9223372036.854776, nodejs_eventloop_lag_max_seconds: 0, nodejs_eventloop_lag_mean_seconds: Number.NaN };
    const names = primarySeries(withValues(await own.json(), unmeasured).metrics).map((m) => m.name);
    expect(names).toContain('process_cpu_seconds_total');
    expect(names.filter((n) => n.includes('eventloop_lag'))).toEqual([]);
    // Only its process's series: not the gateway's, nor prom-client's `_total` gauges.
    expect(names.filter((n) => n.startsWith('switchyard_') || n === 'nodejs_active_handles_total')).toEqual([]);
  });

  it("count a worker's CPU time once through a reload, which gives the worker a new registry", async () => {
    // The process's metrics exist before the gateway the worker runs now.
    new GatewayMetrics([]);
    burnCpu(300);
    let current = new GatewayMetrics([]);
    // The primary's own CPU (this process's too, here) is not this spec's: it has no registry to reload.
    const cluster = new ClusterMetrics({ workers: () => [worker(1, () => current.json())], logger: silentLogger, ownProcess: async () => [] });
    const before = sample(await cluster.render(), 'process_cpu_seconds_total') as number;
    current = new GatewayMetrics([]);
    const after = sample(await cluster.render(), 'process_cpu_seconds_total') as number;
    // The old registry's last count stays in the sums; the new one adds only what was spent since.
    expect(after - before).toBeLessThan(0.15);
  });
});
