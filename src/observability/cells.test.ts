import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CounterCells, HistogramCells } from './cells.js';

const BUCKETS = [0.01, 0.1, 1, 10];
const VALUES = [0.005, 0.01, 0.05, 0.5, 3, 42, 0.1, Number.NaN];

describe('metric cells', () => {
  it('print exactly what prom-client prints for the same observations', async () => {
    const reference = new Registry();
    const cells = new Registry();
    const histogram = new Histogram({ name: 'op_seconds', help: 'Ops.', labelNames: ['route', 'code'], buckets: BUCKETS, registers: [reference] });
    const counter = new Counter({ name: 'ops_total', help: 'Ops "quoted"\\n.', labelNames: ['route', 'code'], registers: [reference] });
    const histogramCells = new HistogramCells('op_seconds', 'Ops.', BUCKETS, cells);
    const counterCells = new CounterCells('ops_total', 'Ops "quoted"\\n.', cells);
    for (const [i, v] of VALUES.entries()) {
      const labels = { route: i % 2 ? '/a' : '/b"\\', code: String(200 + (i % 3)) };
      if (Number.isFinite(v)) histogram.observe(labels, v);
      histogramCells.observe(histogramCells.cell(labels), v);
      counter.inc(labels, i + 0.5);
      counterCells.cell(labels).value += i + 0.5;
    }
    expect(await cells.metrics()).toBe(await reference.metrics());
  });

  it('hands out one cell per label set, and reset zeroes it in place', () => {
    const counters = new CounterCells('x_total', 'X.', new Registry());
    const a = counters.cell({ k: 'v' });
    a.value += 2;
    expect(counters.cell({ k: 'v' })).toBe(a);
    counters.reset();
    expect(a.value).toBe(0);
  });
});
