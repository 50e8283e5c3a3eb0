import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * Bench hook (`SWITCHYARD_BENCH_ELD=1`): the event loop's delay is only visible inside the process,
 * so each SIGUSR2 prints the histogram since the previous one as one JSON line and starts afresh.
 * Returns the function that stops it.
 */
export function reportEventLoopDelayOnSignal(out: (line: string) => void): () => void {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  let seq = 0;
  const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
  const report = (): void => {
    seq += 1;
    const eld = { seq, count: histogram.count, p50_ms: ms(histogram.percentile(50)), p99_ms: ms(histogram.percentile(99)), max_ms: ms(histogram.max) };
    out(JSON.stringify({ switchyard_eld: eld }));
    histogram.reset();
  };
  process.on('SIGUSR2', report);
  return () => {
    process.off('SIGUSR2', report);
    histogram.disable();
  };
}
