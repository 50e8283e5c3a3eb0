/** Where a batch goes. */
export interface BatchTarget {
  write(text: string): unknown;
}

/**
 * Log lines gathered into one write of at most `maxBytes` (a longer line goes alone), at least every
 * `maxWaitMs`. The lines wait in an array and are joined once per batch: sonic-boom's own buffering
 * appends each line to one growing string and measures that string's byte length at every line,
 * flattening it each time (~5 KB copied per access line at 64 connections). At most PIPE_BUF (4096)
 * bytes a write: lines of several processes sharing one pipe never interleave.
 */
export class LineBatch {
  private lines: string[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly flushLater = (): void => {
    this.timer = undefined;
    this.flush();
  };

  constructor(
    private readonly target: BatchTarget,
    private readonly maxBytes: number,
    private readonly maxWaitMs: number,
  ) {}

  write(line: string): boolean {
    const size = Buffer.byteLength(line);
    if (this.bytes > 0 && this.bytes + size > this.maxBytes) this.flush();
    this.lines.push(line);
    this.bytes += size;
    if (this.bytes >= this.maxBytes) this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(this.flushLater, this.maxWaitMs);
      // A line waiting to be written must not keep the process alive; exit writes it.
      this.timer.unref();
    }
    return true;
  }

  /** Hands what waits to the target now (pino's `logger.flush(cb)` passes `done`). */
  flush(done?: (err?: Error) => void): void {
    const text = this.take();
    if (text !== '') this.target.write(text);
    done?.();
  }

  /** Removes and returns what waits, for a caller that writes it itself (an exit). */
  take(): string {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.lines.length === 0) return '';
    const text = this.lines.length === 1 ? (this.lines[0] as string) : this.lines.join('');
    this.lines = [];
    this.bytes = 0;
    return text;
  }
}
