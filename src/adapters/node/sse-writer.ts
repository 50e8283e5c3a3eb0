import type { ServerResponse } from 'node:http';

/**
 * Writes a stream's chunks (SSE frames). Chunks added in the same turn of the event loop (the parts of
 * one upstream read) are joined into one string and leave in one write at the end of the turn, and the
 * last ones travel with the end of the response: once the source is `ending`, what is queued waits for
 * the closing frames (held until the stream's usage is journaled) and leaves in the same write. `add`
 * only returns a promise when the client reads slowly and the socket must drain first, so a fast
 * stream allocates nothing per chunk.
 */
export class SseWriter {
  private pending = '';
  private scheduled = false;
  private draining: Promise<void> | undefined;
  private readonly flushNow = (): void => {
    this.scheduled = false;
    this.flush();
  };

  /** `stallMs`: a client that reads nothing for this long is dropped (it would hold the upstream open). */
  constructor(
    private readonly res: ServerResponse,
    private readonly stallMs = 60_000,
    private readonly source: { readonly ending?: boolean } = {},
  ) {}

  /** Queues one chunk; awaits only when the socket is backed up. */
  add(chunk: string): Promise<void> | undefined {
    this.pending += chunk;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushNow);
    }
    return this.draining;
  }

  /** Sends what is queued, then `last`, and ends the response. */
  end(last = ''): void {
    const text = this.pending + last;
    this.pending = '';
    if (!this.res.destroyed) this.res.end(text);
  }

  private flush(): void {
    const res = this.res;
    if (this.pending === '' || res.destroyed || res.writableEnded || this.source.ending === true) return;
    const text = this.pending;
    this.pending = '';
    if (!res.write(text) && !this.draining) {
      this.draining = new Promise<void>((resolve) => {
        const stalled = setTimeout(() => res.destroy(), this.stallMs);
        stalled.unref();
        const done = (): void => {
          clearTimeout(stalled);
          res.off('drain', done);
          res.off('close', done);
          this.draining = undefined;
          resolve();
        };
        res.once('drain', done);
        res.once('close', done);
      });
    }
  }
}
