import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { GatewayError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { errorMessage } from '../../core/error-trace.js';
import type { Journal } from '../../ledger/journal.js';
import { isDatabaseUnavailable } from '../../ledger/store/unavailable.js';
import type { AuditEntry } from './chain.js';
import { attemptsLine, heldLine, later, readLine, type Attempt, type TimedEvent, type Waiting } from './held.js';

/** A transaction that must follow everything queued before it: a key change written with its entry. */
interface Turn {
  run(): Promise<void>;
  refuse(err: unknown): void;
}

type Item = Waiting | Turn;
const isTurn = (item: Item): item is Turn => 'run' in item;

/**
 * Writes a batch in one transaction under the chain's lock, in order; returns each one's entry.
 * `beforeCommit` is called once every entry's `attempt` names where this write puts it.
 */
export type WriteBatch = (batch: readonly Waiting[], beforeCommit: () => void) => Promise<AuditEntry[]>;

export interface OutboxOptions {
  write: WriteBatch;
  /** The audit journal: held entries survive a restart in it (`ledger.journal`); without one they are kept in memory only. */
  journal: Journal | undefined;
  logger: Logger;
  /** How often a store that failed is tried again (`ledger.retry_interval_ms`). */
  retryMs: number;
  now: () => number;
}

/** Entries held in memory at most; past it new ones are refused, counted and said in an `audit.entries_lost` entry. */
export const MAX_HELD = 10_000;
/** Entries written per transaction when several wait. */
const BATCH = 100;

/**
 * The order of the audit log's appends in this process, and the entries the store could not take yet.
 * Every append goes through one queue, so entries reach the chain in the order they were made. Each is
 * written in the journal where the ledger journals (`<ledger.journal_dir>/audit`, as usage events are:
 * one write at the end of the event loop's turn, before the answer leaves) and deleted from it once
 * stored. While the store cannot be reached (down, its disk full: `isDatabaseUnavailable`), entries
 * are held, on disk at once, and appended in order once it answers, by this process or, after a
 * restart, the next; a key change waiting behind them fails with the store's error rather than jump
 * ahead (the route's 503). A write whose outcome is unknown (its COMMIT sent, no answer) left each
 * entry's seq and hash in `attempt`, journaled before the INSERT: the next write first looks for that
 * row under the chain's lock, so no entry is written twice. What cannot be held (past MAX_HELD, or
 * refused by the store for another reason than an outage) is counted and recorded as one
 * `audit.entries_lost` entry once the queue is clear, so the chain shows a gap rather than hide one.
 */
export class AuditOutbox {
  private readonly queue: Item[] = [];
  private waiting = 0;
  private running: Promise<void> | undefined;
  private down = false;
  private closed = false;
  private finished = false;
  private timer: NodeJS.Timeout | undefined;
  private lost: { count: number; since: number; until: number } | undefined;

  constructor(private readonly o: OutboxOptions) {
    // Leftovers of a process that died, and segments a reload's old generation hands over later.
    if (o.journal) {
      this.keepTrying();
      if (o.journal.leftovers.length > 0) setImmediate(() => void this.pump());
    }
  }

  /** Queues an event; resolves with its entry once stored, or undefined once held for later. */
  record(event: TimedEvent): Promise<AuditEntry | undefined> {
    if (this.closed) return Promise.reject(closedError());
    if (this.waiting >= MAX_HELD) {
      this.lose(event.ts);
      this.o.logger.error({ action: event.action, subject: event.subject, held: this.waiting }, 'audit entry lost: the store cannot be reached and the held entries are at their bound');
      return Promise.reject(new GatewayError({ kind: 'unavailable', code: 'audit_unavailable', message: `The audit log holds ${MAX_HELD} entries the store has not taken; this one was not recorded.` }));
    }
    return new Promise((resolve, reject) => {
      const w: Waiting = { event, attempt: undefined, id: undefined, done: resolve, failed: reject };
      if (this.o.journal) {
        w.id = randomBytes(8).toString('hex');
        this.o.journal.append(heldLine(w));
      }
      this.queue.push(w);
      this.waiting += 1;
      // The store is known to be down: held at once, not each waiting for a connection to fail.
      if (this.down) this.hold([w]);
      else void this.pump();
    });
  }

  /** Runs `run` once everything queued before it is stored; fails with the store's error if that cannot be. */
  turn<T>(run: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(closedError());
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        run: () =>
          run().then(resolve, (err: unknown) => {
            reject(err);
            throw err;
          }),
        refuse: reject,
      });
      void this.pump();
    });
  }

  /**
   * Stops taking events. What waits stays in the journal (the next generation of a reload, or the next
   * start, appends it), or is lost without one; a key change still queued is refused.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
    if (!this.running) this.finishClose();
  }

  private pump(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.running ??= this.drain().then(
      () => this.drained(true),
      (err: unknown) => {
        this.o.logger.error({ err: errorMessage(err) }, 'audit log: writing queued entries failed; retried');
        this.keepTrying();
        this.drained(false);
      },
    );
    return this.running;
  }

  private drained(cleanly: boolean): void {
    this.running = undefined;
    if (this.closed) this.finishClose();
    // Queued after the drain's last look (its callers ran between its end and this): not left for the timer.
    else if (cleanly && this.queue.length > 0 && (!this.down || this.queue.some(isTurn))) void this.pump();
  }

  private async drain(): Promise<void> {
    let isolate = false;
    while (!this.closed) {
      this.absorbLeftovers();
      const head = this.queue[0];
      if (head === undefined) return;
      if (isTurn(head)) {
        this.queue.shift();
        try {
          await head.run();
        } catch (err) {
          if (!isOutage(err)) continue;
          this.unreachable(err);
          return;
        }
        this.answered();
        continue;
      }
      const batch = this.leading(isolate ? 1 : BATCH);
      let entries: AuditEntry[];
      try {
        entries = await this.o.write(batch, () => this.journalAttempts(batch));
      } catch (err) {
        if (isOutage(err)) {
          this.unreachable(err);
          return;
        }
        // Closing: the store is being closed under the write, which refused nothing.
        if (this.closed) return;
        // Not an outage: one entry the store refuses. Found alone, it is dropped, or it would block every later one.
        if (batch.length > 1) {
          isolate = true;
          continue;
        }
        const [bad] = this.queue.splice(0, 1) as [Waiting];
        this.o.logger.error({ err: errorMessage(err), action: bad.event.action, subject: bad.event.subject }, 'audit entry lost: the store refused it');
        this.lose(bad.event.ts);
        this.settle(bad, undefined, err);
        continue;
      }
      // Appends only add behind the batch, and leftovers are taken before it: it is still the head.
      this.queue.splice(0, batch.length);
      batch.forEach((w, i) => this.settle(w, entries[i], undefined));
      isolate = false;
      this.answered();
    }
  }

  /** The store answered: after an outage, say so; with nothing held any more, free the journal and tell of losses. */
  private answered(): void {
    if (this.down) this.o.logger.info({ held: this.waiting }, 'audit log store is back; writing held entries');
    this.down = false;
    if (this.waiting > 0) return;
    // Nothing waits: every line of the journal's segments is of an entry stored.
    if (this.o.journal) this.o.journal.release(this.o.journal.seal());
    const lost = this.lost;
    if (lost === undefined) return;
    this.lost = undefined;
    const w: Waiting = { event: { ts: this.o.now(), actor: 'system', action: 'audit.entries_lost', subject: 'audit', details: { ...lost } }, attempt: undefined, id: undefined, done: undefined, failed: undefined };
    this.queue.push(w);
    this.waiting += 1;
  }

  /** The store cannot be reached: everything waiting is held, and key changes queued behind it are refused. */
  private unreachable(err: unknown): void {
    if (!this.down) this.o.logger.warn({ err: errorMessage(err), held: this.waiting }, 'audit log store unavailable; holding entries until it answers');
    this.down = true;
    this.keepTrying();
    const turns: Turn[] = [];
    const held: Waiting[] = [];
    for (const item of this.queue.splice(0)) {
      if (isTurn(item)) turns.push(item);
      else held.push(item);
    }
    this.queue.push(...held);
    this.hold(held);
    for (const t of turns) t.refuse(err);
  }

  /** Tells the entries' callers they are held, once their journal lines are on disk. */
  private hold(items: readonly Waiting[]): void {
    this.o.journal?.commit();
    for (const w of items) this.settle(w, undefined, undefined);
  }

  /** Before the INSERT: the entries and where this write puts them, on disk, so a restart finds them stored. */
  private journalAttempts(batch: readonly Waiting[]): void {
    const journal = this.o.journal;
    const marked = batch.filter((w) => w.id !== undefined && w.attempt !== undefined);
    if (!journal || marked.length === 0) return;
    journal.append(attemptsLine(marked));
    journal.commit();
  }

  private settle(w: Waiting, entry: AuditEntry | undefined, err: unknown): void {
    const { done, failed } = w;
    w.done = undefined;
    w.failed = undefined;
    if (err !== undefined) failed?.(err);
    else done?.(entry);
    // Told `held` (undefined, no error) it still waits; stored or dropped, it leaves the count.
    if (entry !== undefined || err !== undefined) this.waiting -= 1;
  }

  /** The queued entries before the first key change, at most `max`. */
  private leading(max: number): Waiting[] {
    const batch: Waiting[] = [];
    for (const item of this.queue) {
      if (isTurn(item) || batch.length === max) break;
      batch.push(item);
    }
    return batch;
  }

  private lose(ts: number): void {
    const lost = (this.lost ??= { count: 0, since: ts, until: ts });
    lost.count += 1;
    lost.since = Math.min(lost.since, ts);
    lost.until = Math.max(lost.until, ts);
  }

  private keepTrying(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => {
      if (!this.running && (this.queue.length > 0 || (this.o.journal?.leftovers.length ?? 0) > 0)) void this.pump();
    }, this.o.retryMs);
    this.timer.unref();
  }

  /**
   * Takes the journal's leftovers (segments of a process that died, or of a reload's old generation)
   * to the head of the queue: they are older than anything this process made. Each is claimed (renamed)
   * first, as workers sharing the folder find the same ones, then written again in this process's own
   * segment and deleted; an entry found twice (a crash between the two) is taken once, by its id.
   */
  private absorbLeftovers(): void {
    const journal = this.o.journal;
    if (!journal || journal.leftovers.length === 0) return;
    const found = new Map<string, Waiting>();
    const attempts = new Map<string, Attempt>();
    const claimed: string[] = [];
    let unreadable = 0;
    try {
      for (let next = journal.leftovers.shift(); next !== undefined; next = journal.leftovers.shift()) {
        const path = journal.claim(next);
        if (path === undefined) continue;
        // Claimed for deletion only once read: a segment whose read fails stays for the next start.
        const lines = readFileSync(path, 'utf8').split('\n');
        claimed.push(path);
        for (const text of lines) {
          if (text.trim() === '') continue;
          if (!readLine(text, found, attempts)) unreadable += 1;
        }
      }
    } catch (err) {
      this.o.logger.error({ err: errorMessage(err) }, 'audit journal: a leftover segment could not be read; it stays for the next start');
    }
    if (unreadable > 0) {
      this.o.logger.error({ lines: unreadable }, 'audit journal: lines cut short or corrupt were skipped (each counted as a lost entry)');
      for (let i = 0; i < unreadable; i += 1) this.lose(this.o.now());
    }
    const items = [...found.values()];
    for (const w of items) w.attempt = later(w.attempt, attempts.get(w.id as string));
    if (items.length > 0) {
      journal.append(items.map(heldLine).join(''));
      journal.commit();
      this.queue.unshift(...items);
      this.waiting += items.length;
      this.o.logger.info({ entries: items.length }, 'audit journal: entries an earlier process held are appended now');
    }
    // Once written again in this process's segment; a failed write leaves them for the next start.
    if (journal.complete) for (const path of claimed) unlinkSync(path);
  }

  private finishClose(): void {
    if (this.finished) return;
    this.finished = true;
    const held: Waiting[] = [];
    for (const item of this.queue.splice(0)) {
      if (isTurn(item)) item.refuse(closedError());
      else held.push(item);
    }
    if (this.o.journal) {
      this.hold(held);
      this.o.journal.close(held.length > 0);
    } else if (held.length > 0) {
      this.o.logger.error({ entries: held.length }, 'audit entries the store never took are lost: no journal (ledger.journal) keeps them');
      for (const w of held) this.settle(w, undefined, closedError());
    }
  }
}

/** The store cannot take entries now (down, its disk full, its tables not made yet): they wait rather than be dropped. */
function isOutage(err: unknown): boolean {
  return isDatabaseUnavailable(err) || (GatewayError.isInstance(err) && err.kind === 'unavailable');
}

function closedError(): GatewayError {
  return new GatewayError({ kind: 'unavailable', code: 'audit_closed', message: 'The audit log of this configuration is closed (the gateway is reloading or stopping).' });
}
