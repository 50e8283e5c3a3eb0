/**
 * The one drain of a `serve` process, which every stop request joins: SIGTERM, SIGINT, an interruption
 * notice (the process's own watcher's, or under `--workers` the primary's). The drain ends by the earliest
 * deadline any request asked for: a request with more time left changes nothing (a SIGTERM during a
 * notice's drain must not run past the cloud's deadline), one with less shortens it.
 */
export class Drain {
  private deadline = Number.POSITIVE_INFINITY;
  private readonly runs: Array<Promise<void>> = [];

  /**
   * `shutdown(graceMs)` stops accepting and lets requests in flight finish for up to `graceMs`, then cuts
   * the rest (the server's `shutdown`); it is called again with the shorter grace when a request shortens
   * the drain, and must close what it closes after a drain (the app) once only.
   */
  constructor(
    private readonly shutdown: (graceMs: number) => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a stop was requested. */
  get started(): boolean {
    return this.runs.length > 0;
  }

  /** Milliseconds until the drain cuts what is still in flight (Infinity before it started). */
  endsInMs(): number {
    return Math.max(0, this.deadline - this.now());
  }

  /** Starts the drain, or joins it, ending `graceMs` from now at the latest; resolves once drained. */
  request(graceMs: number): Promise<void> {
    const deadline = this.now() + graceMs;
    if (deadline < this.deadline) {
      this.deadline = deadline;
      this.runs.push(this.shutdown(graceMs));
    }
    return this.done();
  }

  /** Resolves once every shutdown started has ended, one started meanwhile included. */
  async done(): Promise<void> {
    for (let waited = 0; waited < this.runs.length; ) {
      waited = this.runs.length;
      await Promise.all(this.runs);
    }
  }
}
