/**
 * Counters over a sliding time window, kept in a fixed ring of buckets: constant memory, no
 * allocation per event. `series` counters share each bucket (e.g. requests and failures).
 */
export class SlidingWindow {
  private readonly counts: Float64Array;
  private readonly bucketMs: number;
  /** Absolute number of the newest bucket (time / bucketMs), or -1 before the first event. */
  private head = -1;

  constructor(
    windowMs: number,
    private readonly series: number,
    private readonly buckets = 10,
  ) {
    this.bucketMs = Math.max(1, windowMs / buckets);
    this.counts = new Float64Array(buckets * series);
  }

  private advance(now: number): void {
    const abs = Math.floor(now / this.bucketMs);
    if (this.head === -1 || abs - this.head >= this.buckets) {
      if (this.head !== -1) this.counts.fill(0);
      this.head = abs;
      return;
    }
    while (this.head < abs) {
      this.head += 1;
      this.counts.fill(0, (this.head % this.buckets) * this.series, (this.head % this.buckets + 1) * this.series);
    }
  }

  add(now: number, series: number, n = 1): void {
    this.advance(now);
    this.counts[(this.head % this.buckets) * this.series + series] += n;
  }

  /** Adds to the bucket of the earlier time `at`, when that bucket is still in the window (else nothing). */
  addAt(at: number, now: number, series: number, n: number): void {
    this.advance(now);
    const abs = Math.floor(at / this.bucketMs);
    if (abs > this.head || abs <= this.head - this.buckets) return;
    this.counts[(abs % this.buckets) * this.series + series] += n;
  }

  sum(now: number, series: number): number {
    this.advance(now);
    let total = 0;
    for (let b = 0; b < this.buckets; b++) total += this.counts[b * this.series + series] as number;
    return total;
  }

  /** When the oldest bucket holding anything leaves the window; undefined when every bucket is empty. */
  nextDrop(now: number): number | undefined {
    this.advance(now);
    for (let abs = this.head - this.buckets + 1; abs <= this.head; abs++) {
      if (abs < 0) continue;
      const slot = (abs % this.buckets) * this.series;
      for (let s = 0; s < this.series; s++) if (this.counts[slot + s] !== 0) return (abs + this.buckets) * this.bucketMs;
    }
    return undefined;
  }

  /**
   * Adds what this window still holds at `now` to `to`, bucket by bucket at its own times: a reload hands
   * a breaker's counts to the next config's, whose `window_ms` may differ (a bucket `to` no longer
   * covers is dropped, as time would drop it).
   */
  carryTo(to: SlidingWindow, now: number): void {
    this.advance(now);
    if (this.head === -1) return;
    for (let abs = Math.max(0, this.head - this.buckets + 1); abs <= this.head; abs++) {
      const slot = (abs % this.buckets) * this.series;
      for (let s = 0; s < this.series && s < to.series; s++) {
        const n = this.counts[slot + s] as number;
        if (n !== 0) to.addAt(abs * this.bucketMs, now, s, n);
      }
    }
  }

  reset(): void {
    this.counts.fill(0);
  }
}
