import { describe, expect, it } from 'vitest';
import { ClusterMetrics, type MetricsWorker } from '../cluster/metrics.js';
import { silentLogger } from '../core/logger.js';
import type { RegistryJson } from './metric-json.js';
import { GatewayMetrics } from './metrics.js';

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

  it("combine across serve --workers: CPU and memory summed, the event loop's lag the worst worker's", async () => {
    const own = new GatewayMetrics([]);
    const first = (): Promise<RegistryJson> => own.json().then((j) => withValues(j, { process_cpu_seconds_total: 2, process_resident_memory_bytes: 100e6, nodejs_eventloop_lag_p99_seconds: 0.01 }));
    const second = (): Promise<RegistryJson> => own.json().then((j) => withValues(j, { process_cpu_seconds_total: 3, process_resident_memory_bytes: 150e6, nodejs_eventloop_lag_p99_seconds: 0.8 }));
    const text = await new ClusterMetrics({ workers: () => [worker(1, first), worker(2, second)], logger: silentLogger }).render();
    expect(sample(text, 'process_cpu_seconds_total')).toBe(5);
    expect(sample(text, 'process_resident_memory_bytes')).toBe(250e6);
    expect(sample(text, 'nodejs_eventloop_lag_p99_seconds')).toBe(0.8);
    expect(sample(text, 'process_start_time_seconds')).toBeGreaterThan(0);
    expect(text).toContain('# TYPE nodejs_gc_duration_seconds histogram\n');
  });

  it("count a worker's CPU time once through a reload, which gives the worker a new registry", async () => {
    // The process's metrics exist before the gateway the worker runs now.
    new GatewayMetrics([]);
    burnCpu(300);
    let current = new GatewayMetrics([]);
    const cluster = new ClusterMetrics({ workers: () => [worker(1, () => current.json())], logger: silentLogger });
    const before = sample(await cluster.render(), 'process_cpu_seconds_total') as number;
    current = new GatewayMetrics([]);
    const after = sample(await cluster.render(), 'process_cpu_seconds_total') as number;
    // The old registry's last count stays in the sums; the new one adds only what was spent since.
    expect(after - before).toBeLessThan(0.15);
  });
});
