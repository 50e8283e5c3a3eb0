import type { Registry } from 'prom-client';

/** One sample of a metric, its shared labels merged into `labels`. */
export interface MetricJsonValue {
  value: number;
  labels: Readonly<Record<string, string | number>>;
  metricName?: string;
}

/**
 * One metric as `Registry.getMetricsAsJSON()` gives it and prom-client's `AggregatorRegistry.aggregate()`
 * takes it: what a `serve --workers` worker sends the primary, which combines every worker's.
 */
export interface MetricJson {
  name: string;
  help: string;
  type: string;
  aggregator: string;
  values: MetricJsonValue[];
}

/**
 * A worker's answer to the primary's scrape: its metrics, and which registry they come from. A reload
 * gives the worker a fresh registry whose counters start again from zero; the primary tells that by
 * `registry`, not by counts going down (a series may have counted past its old value by then).
 */
export interface RegistryJson {
  /** Different for every registry of the process. */
  registry: number;
  metrics: MetricJson[];
}

interface RawValue {
  value: number;
  labels: Readonly<Record<string, string | number | undefined>>;
  metricName?: string;
  sharedLabels?: Readonly<Record<string, string>>;
}

/**
 * The registry's metrics for aggregation. The cells' histograms keep their series labels apart
 * (`sharedLabels`), which aggregation would drop and ignore when it groups samples by `labels`,
 * summing every series of a bucket into one: they are merged into `labels` here.
 */
export async function metricsAsJson(registry: Registry): Promise<MetricJson[]> {
  const metrics = await registry.getMetricsAsJSON();
  return metrics.map((m) => ({
    name: m.name,
    help: m.help,
    type: String(m.type),
    aggregator: m.aggregator,
    values: (m.values as RawValue[]).map((v) => {
      const labels: Record<string, string | number> = {};
      for (const [k, x] of Object.entries(v.labels)) if (x !== undefined) labels[k] = x;
      if (v.sharedLabels) Object.assign(labels, v.sharedLabels);
      return v.metricName === undefined ? { value: v.value, labels } : { value: v.value, labels, metricName: v.metricName };
    }),
  }));
}
