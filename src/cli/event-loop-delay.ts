import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * Bench hook (`SWITCHYARD_BENCH_ELD=1`): the event loop's delay is only visible inside the process.
 * Signals come in pairs around a measurement: the first SIGUSR2 starts a histogram, the second prints
 * it as one JSON line and stops it. Between pairs nothing runs: the histogram's 1 ms timer woke an idle
 * process 1,000 times a second, and the bench's idle targets together made a cold start measured
 * beside them ~50 ms slower. Every signal prints a line with its number (a start: count 0), so the
 * bench can tell its answer from an earlier one. Returns the function that stops it.
 */
export function reportEventLoopDelayOnSignal(out: (line: string) => void): () => void {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let measuring = false;
  let seq = 0;
  const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
  const onSignal = (): void => {
    seq += 1;
    if (!measuring) {
      histogram.reset();
      histogram.enable();
      measuring = true;
      out(JSON.stringify({ switchyard_eld: { seq, count: 0 } }));
      return;
    }
    histogram.disable();
    measuring = false;
    const eld = { seq, count: histogram.count, p50_ms: ms(histogram.percentile(50)), p99_ms: ms(histogram.percentile(99)), max_ms: ms(histogram.max) };
    out(JSON.stringify({ switchyard_eld: eld }));
  };
  process.on('SIGUSR2', onSignal);
  return () => {
    process.off('SIGUSR2', onSignal);
    histogram.disable();
  };
}
