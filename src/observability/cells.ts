import type { Metric, Registry } from 'prom-client';

/** A series' label values, in the order they are printed. */
export type Labels = Readonly<Record<string, string>>;

/** One counter series: the hot path adds to `value`, the scrape reads it. */
export interface CounterCell {
  readonly labels: Labels;
  value: number;
}

/** One histogram series: per-bucket (non-cumulative) counts, sum and count. */
export interface HistogramCell {
  readonly labels: Labels;
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** A sample as prom-client's registry prints it (`sharedLabels` follow `labels`). */
interface Sample {
  labels: Readonly<Record<string, string | number>>;
  sharedLabels?: Labels;
  value: number;
  metricName?: string;
}

/** The key of a series: its label values, which no config value or closed set contains \u0000 of. */
const keyOf = (labels: Labels): string => Object.values(labels).join('\u0000');

/**
 * A metric family whose series are plain cells the request path updates directly, so it never hashes
 * labels (prom-client hashes the label object on every `inc`/`observe`, the bulk of its cost). The
 * registry reads the cells at scrape time through `get()`, the method its own metrics answer, so the
 * text exposition is prom-client's, unchanged. `reset()` zeroes the cells: callers keep references.
 */
abstract class CellFamily<C extends { readonly labels: Labels }> {
  readonly aggregator = 'sum';
  protected readonly cells = new Map<string, C>();

  constructor(
    readonly name: string,
    readonly help: string,
    registry: Registry,
  ) {
    // The registry takes any object with its metrics' shape (name, help, type, get, reset).
    registry.registerMetric(this as unknown as Metric);
  }

  abstract readonly type: 'counter' | 'histogram';

  /** The series with these labels, created on first use; look it up once and keep it. */
  cell(labels: Labels): C {
    const key = keyOf(labels);
    let cell = this.cells.get(key);
    if (!cell) {
      cell = this.create(labels);
      this.cells.set(key, cell);
    }
    return cell;
  }

  protected abstract create(labels: Labels): C;
  protected abstract samples(): Sample[];
  abstract reset(): void;

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.samples() };
  }
}

/** A counter family of cells; add with `cell.value += n`. */
export class CounterCells extends CellFamily<CounterCell> {
  readonly type = 'counter';

  protected create(labels: Labels): CounterCell {
    return { labels, value: 0 };
  }

  protected samples(): Sample[] {
    const out: Sample[] = [];
    for (const c of this.cells.values()) out.push({ labels: c.labels, value: c.value });
    return out;
  }

  reset(): void {
    for (const c of this.cells.values()) c.value = 0;
  }
}

/** A histogram family of cells with fixed bucket bounds; record with `observe(cell, value)`. */
export class HistogramCells extends CellFamily<HistogramCell> {
  readonly type = 'histogram';
  private readonly bounds: Float64Array;

  constructor(name: string, help: string, buckets: readonly number[], registry: Registry) {
    super(name, help, registry);
    this.bounds = Float64Array.from(buckets);
  }

  observe(cell: HistogramCell, value: number): void {
    // prom-client refuses non-finite values by throwing; an observer must not throw, so they are dropped.
    if (!Number.isFinite(value)) return;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i += 1;
    // Values above the last bound only reach +Inf, which is the count.
    if (i < bounds.length) cell.counts[i] = (cell.counts[i] as number) + 1;
    cell.sum += value;
    cell.count += 1;
  }

  protected create(labels: Labels): HistogramCell {
    return { labels, counts: new Float64Array(this.bounds.length), sum: 0, count: 0 };
  }

  protected samples(): Sample[] {
    const out: Sample[] = [];
    const bucket = `${this.name}_bucket`;
    for (const c of this.cells.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i += 1) {
        cumulative += c.counts[i] as number;
        out.push({ labels: { le: this.bounds[i] as number }, sharedLabels: c.labels, value: cumulative, metricName: bucket });
      }
      out.push({ labels: { le: '+Inf' }, sharedLabels: c.labels, value: c.count, metricName: bucket });
      out.push({ labels: {}, sharedLabels: c.labels, value: c.sum, metricName: `${this.name}_sum` });
      out.push({ labels: {}, sharedLabels: c.labels, value: c.count, metricName: `${this.name}_count` });
    }
    return out;
  }

  reset(): void {
    for (const c of this.cells.values()) {
      c.counts.fill(0);
      c.sum = 0;
      c.count = 0;
    }
  }
}
