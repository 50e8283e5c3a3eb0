import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AttemptRecord } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import { toUsageEvent, type UsageEvent } from './event.js';
import type { Journal } from './journal.js';
import { eventFromLine, journalLine } from './journal-line.js';
import { readUsageLine } from './import/read-lines.js';
import type { LedgerStore } from './store/sql-store.js';
import { errorMessage } from '../core/error-trace.js';

export interface BatcherOptions {
  store: LedgerStore;
  logger: Logger;
  batchSize: number;
  flushIntervalMs: number;
  /**
   * Events kept in memory while the store fails; beyond this they are appended to `spillPath`. While
   * that file cannot be written either, up to twice as many are kept, then the oldest are dropped.
   */
  maxBuffer: number;
  spillPath: string;
  /** Wait between write attempts while the store is down. */
  retryIntervalMs: number;
  now?: () => number;
  /** Builds the row of a queued attempt record at write time (pricing it); default: unpriced. */
  toEvent?: (record: AttemptRecord) => UsageEvent;
  /** Each event is journaled as it is queued (built right away then) and released once stored. */
  journal?: Journal;
  /**
   * Serverless, where the spill file dies with the instance: after a `flush` the store failed, every
   * event queued since the last flush it took is written here once, as JSON lines
   * (`{"switchyard_unstored_usage": event}`, the function log; `switchyard import-usage` reads them back).
   */
  copyUnstored?: (text: string) => void;
}

/**
 * What the queue holds: journal lines (with a journal: the event was built and journaled when queued),
 * finished events, or attempt records whose row is built when written.
 */
type Queued = string | UsageEvent | AttemptRecord;

const isEvent = (q: UsageEvent | AttemptRecord): q is UsageEvent => 'id' in q;

export interface BatcherStats {
  queued: number;
  written: number;
  spilled: number;
  /** Events neither the store nor the spill file could take, dropped to bound memory. */
  dropped: number;
  replayed: number;
  failures: number;
  storeDown: boolean;
}

/**
 * Writes ledger events off the hot path: `enqueue` is an array push; a timer writes batches. Without
 * a journal, attempt records are queued as they are and turned into rows only when written, so the
 * hot path allocates nothing and what waits in the queue is the record the gateway built anyway;
 * with one, each event is built and journaled as it is queued. While the
 * store is down events stay in memory up to `maxBuffer`, then spill to a JSON-lines file that is
 * replayed when the store is back (and on the next start). Event ids are idempotent, so replaying a
 * file that was partly written already never double counts.
 */
export class LedgerBatcher {
  private queue: Queued[] = [];
  private flushing: Promise<void> | undefined;
  /** The round after the one writing, for flushes asked while it writes. */
  private again: Promise<void> | undefined;
  private flushSoon = false;
  private timer: NodeJS.Timeout | undefined;
  private nextRetryAt = 0;
  /** While the spill file cannot be written: when to try it again (a failing sync write per request would cost). */
  private spillRetryAt = 0;
  /** A failed append may have left a line cut short: the next one starts on a fresh line. */
  private spillTorn = false;
  private closed = false;
  private readonly now: () => number;
  private readonly toEvent: (record: AttemptRecord) => UsageEvent;
  /** With `copyUnstored`: events queued since the last flush the store took, and the count of events queued before the first. */
  private unconfirmed: Queued[] = [];
  private unconfirmedStart = 0;
  private readonly counters = { written: 0, spilled: 0, dropped: 0, replayed: 0, failures: 0, storeDown: false };

  constructor(private readonly o: BatcherOptions) {
    this.now = o.now ?? Date.now;
    this.toEvent = o.toEvent ?? ((record) => toUsageEvent(record, { usd: undefined, priced: false }));
    this.timer = setInterval(this.inBackground, o.flushIntervalMs);
    this.timer.unref();
  }

  /**
   * Queues an event, or an attempt record to be turned into one when written (the record must not
   * change afterwards; the gateway never changes a reported record). Never throws and never waits.
   */
  enqueue(item: UsageEvent | AttemptRecord): void {
    if (this.o.copyUnstored && !this.closed) this.unconfirmed.push(item);
    if (this.closed) {
      if (!this.spill([item])) this.drop(1);
      return;
    }
    const journal = this.o.journal;
    if (journal) {
      // The line is what waits in the queue: one flat string, and the very text a store can insert.
      const line = journalLine(isEvent(item) ? item : this.toEvent(item));
      journal.append(line);
      this.queue.push(line);
    } else this.queue.push(item);
    if (this.queue.length > this.o.maxBuffer) this.overflow();
    else if (this.queue.length >= this.o.batchSize && !this.counters.storeDown && !this.flushing && !this.flushSoon) {
      // One scheduled flush however many events arrive before it runs.
      this.flushSoon = true;
      setImmediate(this.flushNow);
    }
  }

  private readonly flushNow = (): void => {
    this.flushSoon = false;
    this.inBackground();
  };

  /** A round nobody awaits: what it could not even spill (a read-only disk) is logged, never an unhandled rejection. */
  private readonly inBackground = (): void => {
    this.round().catch((err: unknown) => this.o.logger.error({ err: errorMessage(err), queued: this.queue.length }, 'ledger flush failed'));
  };

  private event(q: Queued): UsageEvent {
    if (typeof q === 'string') return eventFromLine(JSON.parse(q));
    return isEvent(q) ? q : this.toEvent(q);
  }

  private line(q: Queued): string {
    return typeof q === 'string' ? q : journalLine(isEvent(q) ? q : this.toEvent(q));
  }

  /** One batch to the store: as journal text when it takes that (nothing parsed or built here), else as events. */
  private insert(batch: readonly Queued[]): Promise<number> {
    const store = this.o.store;
    if (store.insertLines) return store.insertLines(batch.map((q) => this.line(q)));
    return store.insert(batch.map((q) => this.event(q)));
  }

  stats(): BatcherStats {
    return { queued: this.queue.length, ...this.counters };
  }

  /**
   * Writes what is queued (and any spilled file) now; resolves once everything queued before the call
   * is written, or the round that took it failed. A round already writing took only what was queued
   * when it began, so a flush asked meanwhile runs one more round after it: a serverless invocation
   * awaits its own events before the platform freezes it, however many requests share the instance.
   * With `timeoutMs`, it rejects once that passed (the rounds go on): a serverless flush must end before
   * the platform's deadline, and a store that hangs counts as a failed one (its events copied).
   */
  flush(timeoutMs?: number): Promise<void> {
    const rounds = timeoutMs === undefined ? this.flushRounds() : within(this.flushRounds(), timeoutMs);
    if (!this.o.copyUnstored) return rounds;
    const mark = this.unconfirmedStart + this.unconfirmed.length;
    return rounds.then(
      () => this.confirmOrCopy(mark),
      (err: unknown) => {
        this.confirmOrCopy(Number.NaN);
        throw err;
      },
    );
  }

  private flushRounds(): Promise<void> {
    if (!this.flushing) return this.round();
    const next = (): Promise<void> => {
      this.again = undefined;
      return this.flushRounds();
    };
    this.again ??= this.flushing.then(next, next);
    return this.again;
  }

  /**
   * After a flush: the store took everything queued before `mark`, which need no copy; or it failed
   * (NaN: the round itself failed), and everything not yet confirmed or copied goes to `copyUnstored`
   * once. Copies the store also got later are harmless: event ids make the import idempotent.
   */
  private confirmOrCopy(mark: number): void {
    if (!this.counters.storeDown && !Number.isNaN(mark)) {
      const confirmed = mark - this.unconfirmedStart;
      if (confirmed > 0) {
        this.unconfirmed.splice(0, confirmed);
        this.unconfirmedStart = mark;
      }
      return;
    }
    const items = this.unconfirmed;
    if (items.length === 0) return;
    this.unconfirmed = [];
    this.unconfirmedStart += items.length;
    let text = '';
    for (const q of items) text += `${JSON.stringify({ switchyard_unstored_usage: this.event(q) })}\n`;
    (this.o.copyUnstored as (text: string) => void)(text);
    this.o.logger.warn({ events: items.length }, 'ledger store unavailable: usage events copied to the log (switchyard import-usage reads them back)');
  }

  /** A round of writing, or the one under way: what the timer and full batches start. */
  private round(): Promise<void> {
    this.flushing ??= this.writeAll().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async writeAll(): Promise<void> {
    if (this.counters.storeDown && this.now() < this.nextRetryAt) return;
    // Everything journaled so far is in the queue or the spill file: stored by the end of this round.
    const sealed = this.o.journal?.seal() ?? 0;
    try {
      await this.replaySpill();
      await this.replayJournal();
      // What was queued when the round began, then only full batches: events trickling in while a
      // batch is in flight wait for the next round instead of each becoming a transaction of their own
      // (at 5,000 requests/s that was a commit every ~30 rows, costing more than the rows).
      let owed = this.queue.length;
      while ((owed > 0 && this.queue.length > 0) || this.queue.length >= this.o.batchSize) {
        // Taken out of the queue while in flight, so a concurrent spill cannot shift what we remove.
        const batch = this.queue.splice(0, this.o.batchSize);
        owed -= batch.length;
        try {
          await this.insert(batch);
        } catch (err) {
          this.queue = [...batch, ...this.queue];
          throw err;
        }
        this.counters.written += batch.length;
      }
      this.o.journal?.release(sealed);
      if (this.counters.storeDown) this.o.logger.info({ queued: this.queue.length }, 'ledger store is back; buffered events written');
      this.counters.storeDown = false;
    } catch (err) {
      this.counters.failures += 1;
      if (!this.counters.storeDown) this.o.logger.warn({ err: errorMessage(err), queued: this.queue.length }, 'ledger store unavailable; buffering events');
      this.counters.storeDown = true;
      this.nextRetryAt = this.now() + this.o.retryIntervalMs;
      if (this.queue.length > this.o.maxBuffer) this.overflow();
    }
  }

  private get replayPath(): string {
    return `${this.o.spillPath}.replaying`;
  }

  /**
   * More queued than `maxBuffer`: to the spill file. While the disk refuses it too (full, read-only),
   * the events stay queued (tried again after `retryIntervalMs`) up to twice the bound, and the oldest
   * beyond that are dropped: losing some usage beats the process dying of memory with all of it.
   */
  private overflow(): void {
    if (this.now() >= this.spillRetryAt) {
      const items = this.queue.splice(0);
      if (this.spill(items)) return;
      this.queue = items;
      this.spillRetryAt = this.now() + this.o.retryIntervalMs;
    }
    const excess = this.queue.length - 2 * this.o.maxBuffer;
    if (excess > 0) this.drop(this.queue.splice(0, excess).length);
  }

  private drop(count: number): void {
    this.counters.dropped += count;
    this.o.logger.error({ events: count, dropped: this.counters.dropped }, 'ledger events dropped: neither the store nor the spill file could take them');
  }

  /** Appends events to the spill file (synchronous: rare, and it must not be lost to a crash); false when the disk refuses. */
  private spill(items: Queued[]): boolean {
    if (items.length === 0) return true;
    let text = this.spillTorn ? '\n' : '';
    for (const q of items) text += this.line(q);
    try {
      mkdirSync(dirname(this.o.spillPath), { recursive: true });
      appendFileSync(this.o.spillPath, text);
      this.spillTorn = false;
    } catch (err) {
      this.spillTorn = true;
      this.o.logger.error({ err: errorMessage(err), events: items.length, path: this.o.spillPath }, 'ledger spill file not writable; events kept in memory');
      return false;
    }
    this.counters.spilled += items.length;
    this.o.logger.warn({ events: items.length, path: this.o.spillPath }, 'ledger events spilled to file');
    return true;
  }

  private async replaySpill(): Promise<void> {
    for (;;) {
      if (!existsSync(this.replayPath)) {
        if (!existsSync(this.o.spillPath)) return;
        // Renamed first, so events spilled meanwhile go to a fresh file and nothing is read twice.
        renameSync(this.o.spillPath, this.replayPath);
      }
      await this.replayFile(this.replayPath);
    }
  }

  /**
   * Segments a killed process left behind; replaying one already stored is harmless. Each is claimed
   * first: the workers of one `serve --workers N` share the folder and all find the same leftovers.
   */
  private async replayJournal(): Promise<void> {
    const journal = this.o.journal;
    const leftovers = journal?.leftovers;
    while (journal && leftovers && leftovers.length > 0) {
      const claimed = journal.claim(leftovers[0] as string);
      if (claimed !== undefined) {
        leftovers[0] = claimed;
        await this.replayFile(claimed);
      }
      leftovers.shift();
    }
  }

  /** Where replay sets aside the lines of a spill file or journal segment that are no ledger row. */
  private get rejectedPath(): string {
    return `${this.o.spillPath}.rejected`;
  }

  /**
   * Stores a spill file's or journal segment's events and deletes it. A line that is no ledger row as
   * the gateway writes it (cut short by a crash, or corrupted on disk) is checked like an imported one
   * and set aside in `<spill_path>.rejected` rather than sent: one bad row would fail its batch on
   * every round, and the store would look down for good, with every later event stuck behind it.
   */
  private async replayFile(path: string): Promise<void> {
    const events: UsageEvent[] = [];
    let rejected = '';
    let rejectedLines = 0;
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (line.trim().length === 0) continue;
      const read = readUsageLine(line);
      if (read.kind === 'event') events.push(read.event);
      else {
        rejected += `${line}\n`;
        rejectedLines += 1;
      }
    }
    if (rejectedLines > 0) this.setAside(path, rejected, rejectedLines);
    for (let i = 0; i < events.length; i += this.o.batchSize) await this.o.store.insert(events.slice(i, i + this.o.batchSize));
    unlinkSync(path);
    this.counters.replayed += events.length;
    if (events.length > 0) this.o.logger.info({ events: events.length }, 'replayed spilled ledger events');
  }

  /** Keeps lines replay cannot store, for an operator to read (and repair for `import-usage`); a disk that refuses them is logged. */
  private setAside(path: string, text: string, lines: number): void {
    try {
      mkdirSync(dirname(this.rejectedPath), { recursive: true });
      appendFileSync(this.rejectedPath, text);
      this.o.logger.warn({ path, lines, keptIn: this.rejectedPath }, 'ledger replay skipped lines that are no usage event (cut short or corrupt)');
    } catch (err) {
      this.o.logger.error({ path, lines, err: errorMessage(err) }, 'ledger replay skipped lines that are no usage event and could not keep them');
    }
  }

  /**
   * Stops the timer and writes everything, retrying until `timeoutMs`; what still cannot be written
   * is spilled to the file (or, when that fails too, left in the journal), to be replayed on the next start.
   */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const deadline = this.now() + timeoutMs;
    for (;;) {
      await this.flushing;
      this.nextRetryAt = 0;
      await this.flush();
      const pending = this.queue.length > 0 || existsSync(this.o.spillPath) || existsSync(this.replayPath);
      if (!pending || this.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, Math.min(this.o.retryIntervalMs, 200)));
    }
    this.closed = true;
    const left = this.queue.splice(0);
    const journal = this.o.journal;
    if (this.spill(left)) journal?.close();
    else {
      // The journal's segments stay for the next start to replay: every queued event is in them,
      // unless a journal write failed too, and then those in memory only are lost.
      journal?.close(true);
      if (journal?.complete) this.o.logger.error({ events: left.length }, 'ledger events kept in the journal only: the next start replays them');
      else this.drop(left.length);
    }
  }
}

/** `work`, or a rejection once `ms` passed without it settling. */
function within(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`ledger flush still unfinished after ${ms} ms`)), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
