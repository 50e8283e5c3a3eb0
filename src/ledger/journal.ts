import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

/** Journals open in this process: their segments are never replayed by another journal here. */
const liveTokens = new Set<string>();

/** Open journals by folder: the heirs of segments a closing journal keeps (a reload's next generation). */
const openJournals = new Map<string, Set<Journal>>();

/** Journals with lines not written yet (at most until the end of this turn of the event loop). */
const pendingJournals = new Set<Journal>();

/**
 * Resolves once every journal in this process has written the lines appended so far (undefined when
 * none waits): an answer leaves only after the usage it recorded is on disk. Process-wide, so it also
 * covers a request still running on the app generation before a reload. `now`: write them at once
 * rather than at the end of this turn of the event loop (nothing else will be appended in it to share
 * the write), and return undefined: the answer need not wait a turn.
 */
export function journalsCommitted(now = false): Promise<void> | undefined {
  if (pendingJournals.size === 0) return undefined;
  if (now) {
    for (const journal of pendingJournals) journal.commit();
    return undefined;
  }
  const waits: Array<Promise<void>> = [];
  for (const journal of pendingJournals) {
    const w = journal.committed();
    if (w) waits.push(w);
  }
  if (waits.length === 0) return undefined;
  return waits.length === 1 ? waits[0] : Promise.all(waits).then(() => undefined);
}

/** Whether a segment (`<pid>-<token>-<seq>.jsonl`) belongs to a journal that is still running. */
function isLive(name: string): boolean {
  const [pidText, token] = name.split('-');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  // Same pid but unknown token: an earlier incarnation (a container restarts as pid 1 again).
  if (pid === process.pid) return liveTokens.has(`${pidText}-${token}`);
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A local append-only journal of usage events, so a process killed outright loses none of the
 * events it has not written to the store yet. The lines appended in one turn of the event loop are
 * handed to the kernel together, with one `write()` at the end of the turn (at 64 connections ~20
 * events share it; a request alone has its line written at once, `journalsCommitted(true)`); the HTTP
 * handler holds every answer until `journalsCommitted()` says they are written. That survives the process being killed (not a machine crash, which would need an fsync per
 * request). Lines go to segment files; the batcher seals the current segment when
 * it takes a batch and releases (deletes) sealed segments once everything in them is stored.
 * Segments left by a process that died are `leftovers`, replayed on start (event ids make that
 * idempotent); so are those a journal of this process keeps as it closes (a reload's old generation,
 * its store down), handed to another journal open on the folder (the new generation's).
 */
export class Journal {
  /** Segments of dead processes, oldest first; the batcher replays and deletes them. */
  readonly leftovers: string[];
  private readonly token: string;
  private fd: number | undefined;
  private seq = 0;
  private readonly sealed: string[] = [];
  /** Lines appended this turn, written at its end. */
  private pending = '';
  private scheduled = false;
  private waiting: { promise: Promise<void>; resolve: () => void } | undefined;
  private readonly commitLater = (): void => {
    this.scheduled = false;
    this.commit();
  };

  constructor(
    private readonly dir: string,
    /** Told when a write fails: those lines are then only in memory (still queued for the store). */
    private readonly onWriteError: (err: unknown) => void = () => undefined,
  ) {
    mkdirSync(dir, { recursive: true });
    this.token = `${process.pid}-${randomBytes(4).toString('hex')}`;
    this.leftovers = readdirSync(dir)
      .filter((name) => name.endsWith('.jsonl') && !isLive(name))
      .sort()
      .map((name) => join(dir, name));
    liveTokens.add(this.token);
    this.folder = resolve(dir);
    const open = openJournals.get(this.folder) ?? new Set<Journal>();
    open.add(this);
    openJournals.set(this.folder, open);
  }

  private readonly folder: string;

  /**
   * Takes a leftover segment for this journal before it is replayed: renamed into this process's own
   * names, so the other workers sharing the folder, which found the same leftovers, skip it (and it is a
   * leftover again should this process die before replaying it). Undefined: another process took it.
   */
  claim(path: string): string | undefined {
    const name = basename(path);
    if (name.startsWith(`${this.token}-`)) return path;
    const mine = join(this.dir, `${this.token}-claimed-${name}`);
    try {
      renameSync(path, mine);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return mine;
  }

  /**
   * Resolves once no other live process sharing this folder is replaying leftovers it claimed, or after
   * `timeoutMs`: the workers of one `serve --workers N` seed budgets from the ledger only once the
   * dead process's events are in it, whichever worker replays them.
   */
  async othersReplayed(timeoutMs = 5_000, pollMs = 50): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.othersClaimed()) await new Promise((r) => setTimeout(r, pollMs));
  }

  private othersClaimed(): boolean {
    return readdirSync(this.dir).some((name) => name.includes('-claimed-') && !name.startsWith(`${this.token}-`) && isLive(name));
  }

  private get current(): string {
    return join(this.dir, `${this.token}-${String(this.seq).padStart(8, '0')}.jsonl`);
  }

  /** Queues lines (each ending in a newline) for the write at the end of this turn of the event loop. */
  append(lines: string): void {
    this.pending += lines;
    pendingJournals.add(this);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.commitLater);
    }
  }

  /** Resolves once every line appended so far is written; undefined when none waits. */
  committed(): Promise<void> | undefined {
    if (this.pending === '') return undefined;
    if (!this.waiting) {
      let resolve: () => void = () => undefined;
      const promise = new Promise<void>((r) => (resolve = r));
      this.waiting = { promise, resolve };
    }
    return this.waiting.promise;
  }

  /** Writes the pending lines now, with one `write()`, and releases whoever waits for them. */
  commit(): void {
    pendingJournals.delete(this);
    const text = this.pending;
    this.pending = '';
    if (text !== '') {
      try {
        this.fd ??= openSync(this.current, 'a');
        writeSync(this.fd, text);
      } catch (err) {
        // Answers must not hang on a full or broken disk: the events are still queued for the store.
        this.complete = false;
        this.onWriteError(err);
      }
    }
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resolve();
  }

  /**
   * Seals the current segment: what is appended from now on goes to a new one. Returns how many
   * segments are sealed; `release(n)` deletes those once their events are in the store.
   */
  seal(): number {
    this.commit();
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
      this.sealed.push(this.current);
      this.seq += 1;
    }
    return this.sealed.length;
  }

  /** False once a write failed: some queued events are then in memory only, not in the segments. */
  complete = true;

  /** Deletes the first `count` sealed segments (their events are stored or spilled). */
  release(count: number): void {
    for (const path of this.sealed.splice(0, count)) unlinkSync(path);
  }

  /**
   * Seals and deletes everything: to be called once every event is stored or spilled. `keep`: seals
   * and leaves the segments, holding events neither the store nor the spill file took: another journal
   * open on the folder in this process takes them as leftovers (a reload's new generation replays them
   * in its next round); with none, the next start does.
   */
  close(keep = false): void {
    const sealed = this.seal();
    if (!keep) this.release(sealed);
    liveTokens.delete(this.token);
    const open = openJournals.get(this.folder);
    open?.delete(this);
    if (open?.size === 0) openJournals.delete(this.folder);
    // The newest journal open on the folder: an older one may be closing too (reloads one after another).
    let heir: Journal | undefined;
    for (const journal of open ?? []) heir = journal;
    // Its own segments, and the leftovers it took over but had not replayed yet.
    if (keep && heir) heir.leftovers.push(...this.leftovers.splice(0), ...this.sealed.splice(0));
  }
}
