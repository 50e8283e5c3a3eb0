/** The last `size` samples in a ring; percentiles are computed only when someone asks (status). */
export class Reservoir {
  private readonly samples: Float64Array;
  private count = 0;
  private next = 0;

  constructor(size = 512) {
    this.samples = new Float64Array(size);
  }

  add(value: number): void {
    this.samples[this.next] = value;
    this.next = (this.next + 1) % this.samples.length;
    if (this.count < this.samples.length) this.count += 1;
  }

  /** p50/p95/p99 of the retained samples (nearest rank), or undefined when empty. */
  percentiles(): { p50: number; p95: number; p99: number } | undefined {
    if (this.count === 0) return undefined;
    const sorted = this.samples.slice(0, this.count).sort();
    const at = (q: number): number => sorted[Math.min(this.count - 1, Math.ceil(q * this.count) - 1)] as number;
    return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
  }
}
