import { describe, expect, it, vi } from 'vitest';
import { Counter, Gauge, Registry } from 'prom-client';
import { silentLogger, type Logger } from '../core/logger.js';
import { CounterCells, HistogramCells } from '../observability/cells.js';
import { metricsAsJson } from '../observability/metric-json.js';
import { ClusterMetrics, type MetricsWorker } from './metrics.js';

/** One worker's registry: a counter cell by route, a histogram cell by route, in-flight (sum) and a shared flag (max). */
function workerRegistry(requests: Record<string, number>, inFlight: number, open: number): Registry {
  const registry = new Registry();
  const total = new CounterCells('requests_total', 'Requests.', registry);
  const duration = new HistogramCells('duration_seconds', 'Duration.', [0.1, 1], registry);
  for (const [route, n] of Object.entries(requests)) {
    total.cell({ route }).value += n;
    const cell = duration.cell({ route });
    for (let i = 0; i < n; i += 1) duration.observe(cell, 0.5);
  }
  new Gauge({ name: 'in_flight', help: 'In flight.', registers: [registry] }).set(inFlight);
  new Gauge({ name: 'breaker_open', help: 'Open.', registers: [registry], aggregator: 'max' }).set(open);
  new Counter({ name: 'plain_total', help: 'A prom-client counter.', registers: [registry] }).inc(1);
  return registry;
}

/** A worker's answer from the registry numbered `generation` (a reload makes the next one). */
const answerOf = async (registry: Registry, generation = 1) => ({ registry: generation, metrics: await metricsAsJson(registry) });
const answering = (id: number, registry: Registry, generation = 1): MetricsWorker => ({ id, collect: () => answerOf(registry, generation) });
const hung = (id: number): MetricsWorker => ({ id, collect: (ms) => new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)) });

/** `name{labels} value` lines of an exposition, for exact comparison. */
const lines = (text: string, name: string): string[] => text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...silentLogger, warn: (_o, msg) => void warnings.push(msg ?? ''), child: () => recordingLogger(), warnings };
}

describe('the metrics of serve --workers, combined by the primary', () => {
  it('gives scrapes that arrive together one round, so a slow answer processed late is not read as a reset', async () => {
    const counts = [100, 110, 120, 130];
    const delays = [0, 30, 0, 0];
    let asked = 0;
    const worker: MetricsWorker = {
      id: 1,
      collect: async () => {
        const n = asked++;
        await new Promise((r) => setTimeout(r, delays[n]));
        return answerOf(workerRegistry({ '/v1/chat/completions': counts[n] as number }, 0, 0));
      },
    };
    const metrics = new ClusterMetrics({ workers: () => [worker], logger: silentLogger });
    await metrics.render();
    const [slow, fast] = await Promise.all([metrics.render(), metrics.render()]);
    expect(slow).toBe(fast);
    expect(lines(await metrics.render(), 'requests_total')).toEqual(['requests_total{route="/v1/chat/completions"} 120']);
  });

  it('sums counters and histograms series by series, sums in-flight gauges and takes the highest of a shared flag', async () => {
    const a = workerRegistry({ '/v1/chat/completions': 3, '/v1/embeddings': 1 }, 2, 0);
    const b = workerRegistry({ '/v1/chat/completions': 4 }, 5, 1);
    const text = await new ClusterMetrics({ workers: () => [answering(1, a), answering(2, b)], logger: silentLogger }).render();
    expect(lines(text, 'requests_total')).toEqual(['requests_total{route="/v1/chat/completions"} 7', 'requests_total{route="/v1/embeddings"} 1']);
    // Each route's histogram is its own series: buckets, sum and count are not mixed across routes.
    expect(lines(text, 'duration_seconds_count')).toEqual(['duration_seconds_count{route="/v1/chat/completions"} 7', 'duration_seconds_count{route="/v1/embeddings"} 1']);
    expect(lines(text, 'duration_seconds_bucket')).toContain('duration_seconds_bucket{le="1",route="/v1/chat/completions"} 7');
    expect(lines(text, 'duration_seconds_bucket')).toContain('duration_seconds_bucket{le="0.1",route="/v1/embeddings"} 0');
    expect(lines(text, 'in_flight')).toEqual(['in_flight 7']);
    expect(lines(text, 'breaker_open')).toEqual(['breaker_open 1']);
    expect(lines(text, 'plain_total')).toEqual(['plain_total 2']);
    expect(lines(text, 'switchyard_metrics_workers')).toEqual(['switchyard_metrics_workers 2']);
  });

  it("counts the primary's own process in (its CPU and memory beside the workers'), and gives its event-loop lag apart", async () => {
    // These workers report no process metrics: whatever the scrape has of them is the primary's.
    const metrics = new ClusterMetrics({ workers: () => [answering(1, workerRegistry({}, 0, 0))], logger: silentLogger });
    await metrics.render();
    // The primary's lag monitor starts with its first scrape; the next has measured something.
    await new Promise((r) => setTimeout(r, 50));
    const text = await metrics.render();
    const value = (name: string): number => Number((lines(text, name)[0] ?? '').split(' ')[1]);
    expect(value('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(value('process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(value('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(value('switchyard_primary_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
    expect(value('switchyard_primary_eventloop_lag_p99_seconds')).toBe(value('nodejs_eventloop_lag_p99_seconds'));
  });

  it('answers without a worker that does not answer in time, counts and logs the miss, and keeps its last counters in the sums', async () => {
    const a = workerRegistry({ '/v1/chat/completions': 3 }, 1, 0);
    const b = workerRegistry({ '/v1/chat/completions': 4 }, 2, 0);
    const logger = recordingLogger();
    let workers = [answering(1, a), answering(2, b)];
    const metrics = new ClusterMetrics({ workers: () => workers, logger, timeoutMs: 20 });
    await metrics.render();
    workers = [answering(1, a), hung(2)];
    // A fake clock: the 20 ms are the worker's timeout, not a wall-clock budget a busy machine can miss.
    vi.useFakeTimers();
    let text: string | undefined;
    try {
      void metrics.render().then((answer) => (text = answer));
      await vi.advanceTimersByTimeAsync(19);
      expect(text).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
    } finally {
      vi.useRealTimers();
    }
    if (text === undefined) throw new Error('no metrics 20 ms on');
    expect(lines(text, 'requests_total')).toEqual(['requests_total{route="/v1/chat/completions"} 7']);
    // A gauge of a worker that did not answer is not carried over: it may have changed since.
    expect(lines(text, 'in_flight')).toEqual(['in_flight 1']);
    expect(lines(text, 'switchyard_metrics_workers')).toEqual(['switchyard_metrics_workers 1']);
    expect(lines(text, 'switchyard_metrics_worker_misses_total')).toEqual(['switchyard_metrics_worker_misses_total 1']);
    expect(logger.warnings).toEqual(['a worker did not give its metrics for a scrape: its last counters stand in']);
  });

  it('keeps the last counters of workers that exited, so a restarted worker does not read as a counter reset', async () => {
    const first = workerRegistry({ '/v1/chat/completions': 3 }, 0, 0);
    const second = workerRegistry({ '/v1/chat/completions': 4 }, 0, 0);
    const replacement = workerRegistry({ '/v1/chat/completions': 1 }, 0, 0);
    let workers = [answering(1, first), answering(2, second)];
    const metrics = new ClusterMetrics({ workers: () => workers, logger: silentLogger });
    await metrics.render();
    metrics.retire(1);
    workers = [answering(2, second), answering(3, replacement)];
    expect(lines(await metrics.render(), 'requests_total')).toEqual(['requests_total{route="/v1/chat/completions"} 8']);
    metrics.retire(2);
    workers = [answering(3, replacement)];
    expect(lines(await metrics.render(), 'requests_total')).toEqual(['requests_total{route="/v1/chat/completions"} 8']);
  });

  it('keeps what a worker counted before a reload gave it a fresh registry, so the sums do not go back while workers reload one by one', async () => {
    const before = workerRegistry({ '/v1/chat/completions': 3, '/v1/embeddings': 2 }, 0, 0);
    const other = workerRegistry({ '/v1/chat/completions': 4 }, 0, 0);
    let workers = [answering(1, before), answering(2, other)];
    const metrics = new ClusterMetrics({ workers: () => workers, logger: silentLogger });
    await metrics.render();
    // Worker 1 reloaded: its counters start again from zero, and its new config serves no embeddings.
    const reloaded = workerRegistry({ '/v1/chat/completions': 1 }, 0, 0);
    workers = [answering(1, reloaded, 2), answering(2, other)];
    let text = await metrics.render();
    expect(lines(text, 'requests_total')).toEqual(['requests_total{route="/v1/chat/completions"} 8', 'requests_total{route="/v1/embeddings"} 2']);
    expect(lines(text, 'duration_seconds_count')).toEqual(['duration_seconds_count{route="/v1/chat/completions"} 8', 'duration_seconds_count{route="/v1/embeddings"} 2']);
    expect(lines(text, 'duration_seconds_bucket')).toContain('duration_seconds_bucket{le="1",route="/v1/chat/completions"} 8');
    // Counting on from there is not another reset: nothing is kept twice.
    workers = [answering(1, workerRegistry({ '/v1/chat/completions': 2 }, 0, 0), 2), answering(2, other)];
    text = await metrics.render();
    expect(lines(text, 'requests_total')).toEqual(['requests_total{route="/v1/chat/completions"} 9', 'requests_total{route="/v1/embeddings"} 2']);
    expect(lines(text, 'duration_seconds_count')).toEqual(['duration_seconds_count{route="/v1/chat/completions"} 9', 'duration_seconds_count{route="/v1/embeddings"} 2']);
  });

  it('keeps what a worker counted before a reload even when its fresh registry has counted past that by the next scrape', async () => {
    const other = workerRegistry({ '/v1/chat/completions': 4 }, 0, 0);
    let workers = [answering(1, workerRegistry({ '/v1/chat/completions': 3 }, 0, 0)), answering(2, other)];
    const metrics = new ClusterMetrics({ workers: () => workers, logger: silentLogger });
    await metrics.render();
    // Reloaded, then 5 requests before the next scrape: more than the 3 of the old registry.
    workers = [answering(1, workerRegistry({ '/v1/chat/completions': 5 }, 0, 0), 2), answering(2, other)];
    const text = await metrics.render();
    expect(lines(text, 'requests_total')).toEqual(['requests_total{route="/v1/chat/completions"} 12']);
    expect(lines(text, 'duration_seconds_count')).toEqual(['duration_seconds_count{route="/v1/chat/completions"} 12']);
  });
});
