import { statSync } from 'node:fs';
import type { Checkpoint } from './sqlite-writer.js';

/** How soon a checkpoint kept from the WAL's end is asked again while reads are held. */
const RETRY_MS = 20;

/** What a reader lane asks of the WAL gate. */
export interface LaneGate {
  /** Undefined when the next read may start now; else a promise settled when it may be tried again. */
  hold(maxWaitMs: number): Promise<void> | undefined;
  /** A read on the lane ended: its snapshot no longer holds a checkpoint back. */
  readEnded(): void;
}

/**
 * Keeps reads run back to back from holding WAL checkpoints back for good. A read's snapshot keeps a
 * checkpoint from copying the frames committed after it began, so with the next read starting as soon
 * as the last one ends, no checkpoint reaches the WAL's end and the WAL never starts over: it grew by
 * every commit (~50 MB in 3 s in the spec). Past
 * `limitBytes` (the WAL file's size, one `stat`, which `journal_size_limit` cuts back whenever the WAL
 * starts over, so it is the WAL's own size since then), a lane starts no new read until the writer's
 * checkpoint has copied the whole WAL, which takes only the reads already running to end.
 */
export class WalGate implements LaneGate {
  private readonly waiting = new Set<() => void>();
  private asking = false;
  private askAgain = false;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly walPath: string,
    private readonly limitBytes: number,
    private readonly checkpoint: () => Promise<Checkpoint>,
  ) {}

  hold(maxWaitMs: number): Promise<void> | undefined {
    if (this.closed || (statSync(this.walPath, { throwIfNoEntry: false })?.size ?? 0) <= this.limitBytes) return undefined;
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, maxWaitMs);
      timer.unref();
      this.waiting.add(done);
      this.ask();
    });
  }

  readEnded(): void {
    if (this.waiting.size > 0) this.ask();
  }

  /** Lets every held read go and asks for no more checkpoints. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.release();
  }

  /** Asks the writer for a checkpoint, one at a time; again at once if a read ended meanwhile, else after `RETRY_MS`. */
  private ask(): void {
    if (this.closed) return;
    if (this.asking) {
      this.askAgain = true;
      return;
    }
    clearTimeout(this.retry);
    this.asking = true;
    this.askAgain = false;
    // A checkpoint that fails (the writer closing or gone) lets the reads go: holding them would not help.
    void this.checkpoint().then(copiedAll, () => true).then((through) => {
      this.asking = false;
      if (through) this.release();
      else if (this.askAgain) this.ask();
      else if (this.waiting.size > 0 && !this.closed) {
        this.retry = setTimeout(() => this.ask(), RETRY_MS);
        this.retry.unref();
      }
    });
  }

  private release(): void {
    for (const done of [...this.waiting]) done();
  }
}

/** Whether a checkpoint left nothing in the WAL that the database lacks (-1s: it could not run). */
const copiedAll = (c: Checkpoint): boolean => c.log >= 0 && c.log === c.checkpointed;
