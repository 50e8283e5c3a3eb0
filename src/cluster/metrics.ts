import type { Logger } from '../core/logger.js';
import type { MetricJson, RegistryJson } from '../observability/metric-json.js';
import { errorMessage } from '../core/error-trace.js';

/** What the primary asks a worker for its metrics (`WorkerShared.answerMetrics`). */
export const METRICS_TOPIC = 'metrics';

/** A live worker the primary can ask for its metrics (`GatewayMetrics.json()` over IPC). */
export interface MetricsWorker {
  readonly id: number;
  collect(timeoutMs: number): Promise<unknown>;
}

/** A worker's last answer: which registry, and its counters and histograms. */
interface Counted {
  registry: number;
  metrics: MetricJson[];
}

export interface ClusterMetricsOptions {
  /** The workers to ask: those listening now. */
  workers: () => readonly MetricsWorker[];
  logger: Logger;
  /** How long a scrape waits for each worker; below the worker's own call timeout (2 s). */
  timeoutMs?: number;
  /** The primary's own process metrics, combined with the workers' (`primaryProcessMetrics` unless given). */
  ownProcess?: () => Promise<MetricJson[]>;
}

// Imported at the first scrape, as prom-client is: a primary whose workers serve no metrics collects none.
const primaryProcessMetrics = async (): Promise<MetricJson[]> => (await import('../observability/process-metrics.js')).primaryProcessMetrics();

/** Only counters and histograms carry over from a worker that is gone or late: a stale gauge would mislead. */
const cumulative = (metrics: readonly MetricJson[]): MetricJson[] => metrics.filter((m) => m.type === 'counter' || m.type === 'histogram');

/**
 * The metrics of `serve --workers N` as one process: every scrape, whichever worker took it, asks
 * every worker for its series and combines them, and the primary's own process metrics (CPU, memory,
 * event-loop lag: `primarySeries`), with prom-client's `AggregatorRegistry.aggregate()`
 * (counters and histograms summed, each gauge by its `aggregator`). So the counters Prometheus sees
 * never go back when the next scrape lands on another worker. A worker that does not answer in time
 * is counted and logged, and its last counters stand in for it; a worker that exited leaves its last
 * counters in the sums, so a restart does not look like a counter reset either; nor does a reload,
 * which gives a worker a fresh registry (workers reload at different moments): an answer from another
 * registry than the last leaves everything the last one had counted in the sums.
 */
export class ClusterMetrics {
  private readonly last = new Map<number, Counted>();
  /** The last counters of every worker that exited, and of every series a reload started again, summed. */
  private retired: MetricJson[][] = [];
  private missed = 0;
  private readonly timeoutMs: number;

  constructor(private readonly options: ClusterMetricsOptions) {
    this.timeoutMs = options.timeoutMs ?? 1_000;
  }

  private rendering: Promise<string> | undefined;

  /**
   * The process group's metrics in the Prometheus text format. Scrapes that arrive together (two
   * Prometheus replicas) share one round: answers processed out of order would read a later count
   * as a reset and add it to the sums twice.
   */
  render(): Promise<string> {
    this.rendering ??= this.renderNow().finally(() => {
      this.rendering = undefined;
    });
    return this.rendering;
  }

  private async renderNow(): Promise<string> {
    // Loaded at the first scrape: a primary whose workers serve no metrics never imports prom-client.
    const { AggregatorRegistry } = await import('prom-client');
    const workers = this.options.workers();
    const own = this.ownProcess();
    const answers = await Promise.all(workers.map((w) => w.collect(this.timeoutMs).then((m) => m as RegistryJson, (err: unknown) => err as Error)));
    const parts: MetricJson[][] = [];
    let answered = 0;
    answers.forEach((answer, i) => {
      const id = (workers[i] as MetricsWorker).id;
      if (answer instanceof Error) {
        this.missed += 1;
        this.options.logger.warn({ worker: id, err: errorMessage(answer) }, 'a worker did not give its metrics for a scrape: its last counters stand in');
        const last = this.last.get(id);
        if (last) parts.push(last.metrics);
        return;
      }
      answered += 1;
      parts.push(answer.metrics);
      const previous = this.last.get(id);
      // A reload started the worker's counters again: what the old registry counted stays in the sums.
      if (previous && previous.registry !== answer.registry) this.retired.push(previous.metrics);
      this.last.set(id, { registry: answer.registry, metrics: cumulative(answer.metrics) });
    });
    if (this.retired.length > 1) this.retired = [(await AggregatorRegistry.aggregate(this.retired).getMetricsAsJSON()) as unknown as MetricJson[]];
    return AggregatorRegistry.aggregate([...parts, ...this.retired, await own, this.ownSeries(answered)]).metrics();
  }

  /** The primary's process metrics; a failure to read them costs the scrape those series, never the scrape. */
  private ownProcess(): Promise<MetricJson[]> {
    return (this.options.ownProcess ?? primaryProcessMetrics)().catch((err: unknown) => {
      this.options.logger.warn({ err: errorMessage(err) }, "the primary's own process metrics could not be read for a scrape");
      return [];
    });
  }

  /** A worker exited: its last counters stay in the sums. */
  retire(id: number): void {
    const last = this.last.get(id);
    this.last.delete(id);
    if (last) this.retired.push(last.metrics);
  }

  private ownSeries(answered: number): MetricJson[] {
    return [
      { name: 'switchyard_metrics_workers', help: 'Workers whose own series this scrape holds (serve --workers).', type: 'gauge', aggregator: 'sum', values: [{ labels: {}, value: answered }] },
      {
        name: 'switchyard_metrics_worker_misses_total',
        help: 'Scrapes a worker did not give its series to in time (its last counters stood in).',
        type: 'counter',
        aggregator: 'sum',
        values: [{ labels: {}, value: this.missed }],
      },
    ];
  }
}
