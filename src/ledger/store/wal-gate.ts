import { statSync } from 'node:fs';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { Checkpoint } from './sqlite-writer.js';

/** How soon a checkpoint kept from the WAL's end is asked again while reads are held. */
const RETRY_MS = 20;

/**
 * How long checkpoints are kept from the WAL's end while none of our reads runs before the held reads
 * are let go: long enough for a short outside read (another `serve` worker's report, which its own gate
 * then holds, a one-off `sqlite3` query) to end and the checkpoint to go through.
 */
export const OUTSIDE_PATIENCE_MS = 500;

/**
 * While an outside reader holds the WAL, reads go ungated this long; then the next one is held for one
 * checkpoint, which tells whether it is still there (or our back-to-back reads would pin the WAL once it left).
 */
export const OUTSIDE_RECHECK_MS = 1_000;

/** What a reader lane tells the WAL gate and asks of it. */
export interface LaneGate {
  /** Undefined when the next read may start now; else a promise settled when it may be tried again. */
  hold(maxWaitMs: number): Promise<void> | undefined;
  /** A read on the lane started: its snapshot may hold a checkpoint back. */
  readStarted(): void;
  /** A read on the lane ended: its snapshot no longer holds a checkpoint back. */
  readEnded(): void;
}

/**
 * The other processes of a `serve --workers` cluster that read the same file through gates of their own
 * (`src/cluster/wal-reads.ts`): their reads' snapshots keep checkpoints back as ours do, and their gates
 * hold their next reads as ours does, so a checkpoint they keep back is no outsider's doing.
 */
export interface ClusterReads {
  readStarted(): void;
  readEnded(): void;
  /** What the others did since the last look (none before the first: a read may have run). */
  look(): Promise<ClusterLook>;
  /** This gate found an outside reader: reads go ungated until `until` (the gate's `now` clock). */
  ungated(until: number): void;
  /** This gate is closed: its reads still counted as running no longer are. */
  close(): void;
}

export interface ClusterLook {
  /** A read of another process ran since the last look, or runs now. */
  othersRead: boolean;
  /** Until when another process's gate lets reads go ungated for an outside reader it found, if it does. */
  ungatedUntil?: number;
}

export interface WalGateOptions {
  /** Told once per episode of an outside reader holding the WAL. */
  logger?: Logger;
  /** Milliseconds, for the patience with an outside reader. */
  now?: () => number;
  /** The other workers of a `serve --workers` cluster; none in a single process. */
  cluster?: ClusterReads;
}

/**
 * Keeps reads run back to back from holding WAL checkpoints back for good. A read's snapshot keeps a
 * checkpoint from copying the frames committed after it began, so with the next read starting as soon
 * as the last one ends, no checkpoint reaches the WAL's end and the WAL never starts over: it grew by
 * every commit (~50 MB in 3 s in the spec). Past
 * `limitBytes` (the WAL file's size, one `stat`, which `journal_size_limit` cuts back whenever the WAL
 * starts over, so it is the WAL's own size since then), a lane starts no new read until the writer's
 * checkpoint has copied the whole WAL, which takes only the reads already running to end.
 *
 * Unless another connection holds it (an operator's `sqlite3` shell, a backup, `switchyard report`):
 * holding our reads cannot help then, and would fail every report at its timeout for as long as that
 * reader stays. So when checkpoints asked while none of our reads ran stay short of the WAL's end for
 * `OUTSIDE_PATIENCE_MS`, the held reads go, logged once, and reads go ungated, checked again every
 * `OUTSIDE_RECHECK_MS`, until a checkpoint goes through or the WAL is back under its limit.
 *
 * Under `serve --workers N` every worker has its own gate on the file, and another worker's reads are not
 * ours yet no outsider's either: with a `cluster`, a checkpoint kept back while another worker's read ran
 * is waited for as for our own (that worker's gate holds its next read too), and a gate that found an
 * outsider has the others follow it to its recheck, so all recheck at once and none waits on the
 * others' ungated reads. Without it, each took the others' reads for an outsider's and the WAL grew for good.
 */
export class WalGate implements LaneGate {
  private readonly waiting = new Set<() => void>();
  private asking = false;
  private askAgain = false;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;
  /** Our reads running now, and started ever: a checkpoint is blamed on an outsider only if none ran during it. */
  private running = 0;
  private started = 0;
  /** The first and the last of the latest checkpoints seen kept back by an outsider, none more than the patience apart. */
  private outsideSince: number | undefined;
  private outsideLast = 0;
  /** In an episode of an outside reader: when the next read is held again to check it is still there. */
  private ungatedUntil: number | undefined;
  /** This episode was logged here (not one followed from another worker's gate). */
  private warned = false;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly cluster: ClusterReads | undefined;

  constructor(
    private readonly walPath: string,
    private readonly limitBytes: number,
    private readonly checkpoint: () => Promise<Checkpoint>,
    options: WalGateOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
    this.cluster = options.cluster;
  }

  hold(maxWaitMs: number): Promise<void> | undefined {
    if (this.closed) return undefined;
    if ((statSync(this.walPath, { throwIfNoEntry: false })?.size ?? 0) <= this.limitBytes) {
      this.endEpisode();
      return undefined;
    }
    if (this.ungatedUntil !== undefined && this.now() < this.ungatedUntil) return undefined;
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

  readStarted(): void {
    this.running++;
    this.started++;
    if (!this.closed) this.cluster?.readStarted();
  }

  readEnded(): void {
    this.running--;
    if (!this.closed) this.cluster?.readEnded();
    if (this.waiting.size > 0) this.ask();
  }

  /** Lets every held read go and asks for no more checkpoints. */
  close(): void {
    if (!this.closed) this.cluster?.close();
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
    const alone = this.running === 0 ? this.started : -1;
    // The held reads go once the checkpoint went through, failed (the writer closing or gone: holding them
    // would not help) or was kept back by an outsider.
    void this.checkpoint()
      .then(copiedAll, () => undefined)
      .then((through): Verdict | Promise<Verdict> => (through === false && alone === this.started ? this.outsideVerdict() : through))
      .then((verdict) => {
        this.asking = false;
        if (verdict === true) this.endEpisode();
        if (verdict !== false) this.release();
        else if (this.askAgain) this.ask();
        else if (this.waiting.size > 0 && !this.closed) {
          this.retry = setTimeout(() => this.ask(), RETRY_MS);
          this.retry.unref();
        }
      });
  }

  /** A checkpoint kept back while none of our reads ran: `'outsider'` if reads stop being held for a while. */
  private async outsideVerdict(): Promise<'outsider' | false> {
    // The primary unreachable (the worker leaving): as a single process would.
    const look = await this.cluster?.look().catch(() => undefined);
    if (look?.ungatedUntil !== undefined && look.ungatedUntil > this.now()) {
      this.ungatedUntil = look.ungatedUntil;
      return 'outsider';
    }
    if (look?.othersRead) return false;
    return this.outsiderStays() ? 'outsider' : false;
  }

  /** A checkpoint kept back by no read of the cluster's: whether to stop holding reads for a while. */
  private outsiderStays(): boolean {
    const now = this.now();
    if (this.ungatedUntil === undefined) {
      if (this.outsideSince === undefined || now - this.outsideLast > OUTSIDE_PATIENCE_MS) this.outsideSince = now;
      this.outsideLast = now;
      if (now - this.outsideSince < OUTSIDE_PATIENCE_MS) return false;
      this.logger.warn(
        { path: this.walPath, walBytes: statSync(this.walPath, { throwIfNoEntry: false })?.size ?? 0 },
        'ledger WAL held back by another connection to the SQLite file: reports stop waiting for checkpoints, and the WAL grows until that reader ends',
      );
      this.warned = true;
    }
    this.ungatedUntil = now + OUTSIDE_RECHECK_MS;
    this.cluster?.ungated(this.ungatedUntil);
    return true;
  }

  private endEpisode(): void {
    if (this.warned) this.logger.info({ path: this.walPath }, 'ledger WAL checkpointed again: reports wait for checkpoints again');
    this.warned = false;
    this.outsideSince = undefined;
    this.ungatedUntil = undefined;
  }

  private release(): void {
    for (const done of [...this.waiting]) done();
  }
}

/** A checkpoint's outcome for the held reads: through, kept back (by our reads or an outsider's), or failed. */
type Verdict = boolean | 'outsider' | undefined;

/** Whether a checkpoint left nothing in the WAL that the database lacks (-1s: it could not run). */
const copiedAll = (c: Checkpoint): boolean => c.log >= 0 && c.log === c.checkpointed;
