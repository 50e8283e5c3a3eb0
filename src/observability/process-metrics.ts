import { collectDefaultMetrics, Registry, type Aggregator, type Metric } from 'prom-client';
import { metricsAsJson, type MetricJson, type MetricJsonValue } from './metric-json.js';

/**
 * How `serve --workers` combines the process gauges of its workers and primary (counters and histograms,
 * such as `process_cpu_seconds_total` and `nodejs_gc_duration_seconds`, are summed like every counter; so
 * are memory, heap, handles and file descriptors, which each process holds of its own: the pod's total).
 * Event-loop lag is the worst process's: a client's request waits on the worker it landed on, and an
 * average over N workers hides the one whose loop is stuck. The newest worker start shows a restart.
 */
const COMBINED_AGGREGATORS: Readonly<Record<string, Aggregator>> = {
  nodejs_eventloop_lag_seconds: 'max',
  nodejs_eventloop_lag_p50_seconds: 'max',
  nodejs_eventloop_lag_p90_seconds: 'max',
  nodejs_eventloop_lag_p99_seconds: 'max',
  nodejs_eventloop_lag_max_seconds: 'max',
  // prom-client's 'omit' would leave the combined scrape without it.
  process_start_time_seconds: 'max',
};

const combinedAggregator = (m: MetricJson): string => COMBINED_AGGREGATORS[m.name] ?? m.aggregator;

let processRegistry: Registry | undefined;

/**
 * prom-client's default metrics, collected once per process: each call of `collectDefaultMetrics`
 * starts an event-loop delay monitor and a GC observer that are never stopped, so one per gateway
 * registry would pile up with every config reload. They are facts of the process, the same whichever
 * gateway of it reports them.
 */
function defaultMetrics(): { registry: Registry; names: string[]; metrics: Metric[] } {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  const registry = processRegistry;
  // prom-client's gauges named `_total` (nodejs_active_handles_total...) fail Prometheus' naming lint, a
  // counter's suffix; the same counts are there by type (nodejs_active_handles{type}).
  const names = registry
    .getMetricsAsArray()
    .filter((m) => !(m.name.endsWith('_total') && String(m.type) !== 'counter'))
    .map((m) => m.name);
  return { registry, names, metrics: names.flatMap((name) => registry.getSingleMetric(name) ?? []) };
}

type Baseline = ReadonlyMap<string, number>;

const sampleKey = (name: string, v: MetricJsonValue): string => `${v.metricName ?? name}${JSON.stringify(v.labels)}`;

/** The cumulative samples of `metrics` now, by series. */
async function readCumulative(metrics: readonly Metric[]): Promise<Baseline> {
  const baseline = new Map<string, number>();
  for (const m of metrics) {
    const { name, values } = await m.get();
    for (const v of values as MetricJsonValue[]) baseline.set(sampleKey(name, v), v.value);
  }
  return baseline;
}

const isCumulative = (type: string): boolean => type === 'counter' || type === 'histogram';

/**
 * The process and Node runtime metrics (CPU, memory, heap, event-loop lag, GC) in a gateway's
 * registry, under prom-client's standard names.
 */
export class ProcessMetrics {
  private readonly names: ReadonlySet<string>;
  private readonly baseline: Promise<Baseline>;

  constructor(registry: Registry) {
    const { names, metrics } = defaultMetrics();
    for (const m of metrics) registry.registerMetric(m);
    this.names = new Set(names);
    // Read as the registry is made, before anything awaits: prom-client collects within `get()`'s call.
    this.baseline = readCumulative(metrics.filter((m) => isCumulative(String((m as { type?: unknown }).type))));
  }

  /**
   * The process metrics of a worker's answer, as the primary combines them. A reload gives the worker
   * a new registry, and the primary keeps the old one's last counters in its sums: the process
   * counters, which run on across registries, are sent as counted since this registry was made, so
   * no reload adds the worker's CPU time twice.
   */
  async forWorkers(metrics: readonly MetricJson[]): Promise<MetricJson[]> {
    const baseline = await this.baseline;
    return metrics.map((m) => {
      if (!this.names.has(m.name)) return m;
      const aggregator = combinedAggregator(m);
      if (!isCumulative(m.type)) return { ...m, aggregator };
      const values = m.values.map((v) => ({ ...v, value: v.value - (baseline.get(sampleKey(m.name, v)) ?? 0) }));
      return { ...m, aggregator, values };
    });
  }
}

const LAG = 'nodejs_eventloop_lag_';

/**
 * The primary's own event-loop lag, apart from the combined one (the worst process's), which cannot tell
 * a slow primary from a slow worker: every worker's shared state, budgets and scrapes wait on the
 * primary, and no watchdog restarts it.
 */
const PRIMARY_LAG_P99 = 'switchyard_primary_eventloop_lag_p99_seconds';

const valueOf = (metrics: readonly MetricJson[], name: string): number | undefined => metrics.find((m) => m.name === name)?.values[0]?.value;

/**
 * The primary's process metrics as `ClusterMetrics` adds them to the workers': combined as theirs are,
 * and its lag p99 apart. Its registry lives as long as the process, so its counters need no baseline.
 * A lag monitor that has measured nothing since it started or was last read (the primary's starts with
 * its first scrape) reports a minimum above its maximum and no mean: its lag series are left out then.
 */
export function primarySeries(metrics: readonly MetricJson[]): MetricJson[] {
  const names = new Set(defaultMetrics().names);
  const min = valueOf(metrics, `${LAG}min_seconds`);
  const max = valueOf(metrics, `${LAG}max_seconds`);
  const measured = min === undefined || max === undefined || min <= max;
  const own = metrics.filter((m) => names.has(m.name) && (measured || !m.name.startsWith(LAG))).map((m) => ({ ...m, aggregator: combinedAggregator(m) }));
  const p99 = valueOf(own, `${LAG}p99_seconds`);
  if (p99 === undefined) return own;
  const help = "The cluster primary's own event-loop lag p99 (serve --workers); nodejs_eventloop_lag_p99_seconds is the worst process's.";
  return [...own, { name: PRIMARY_LAG_P99, help, type: 'gauge', aggregator: 'max', values: [{ labels: {}, value: p99 }] }];
}

/** The primary's own process metrics now (`primarySeries`); the first call starts collecting them. */
export async function primaryProcessMetrics(): Promise<MetricJson[]> {
  return primarySeries(await metricsAsJson(defaultMetrics().registry));
}
