import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Journals open in this process: their segments are never replayed by another journal here. */
const liveTokens = new Set<string>();

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
 * events it has not written to the store yet. Each line is handed to the kernel with one `write()`
 * before `append` returns: that survives the process being killed (not a machine crash, which would
 * need an fsync per request). Lines go to segment files; the batcher seals the current segment when
 * it takes a batch and releases (deletes) sealed segments once everything in them is stored.
 * Segments left by a process that died are `leftovers`, replayed on start (event ids make that
 * idempotent).
 */
export class Journal {
  /** Segments of dead processes, oldest first; the batcher replays and deletes them. */
  readonly leftovers: string[];
  private readonly token: string;
  private fd: number | undefined;
  private seq = 0;
  private readonly sealed: string[] = [];

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.token = `${process.pid}-${randomBytes(4).toString('hex')}`;
    this.leftovers = readdirSync(dir)
      .filter((name) => name.endsWith('.jsonl') && !isLive(name))
      .sort()
      .map((name) => join(dir, name));
    liveTokens.add(this.token);
  }

  private get current(): string {
    return join(this.dir, `${this.token}-${String(this.seq).padStart(8, '0')}.jsonl`);
  }

  /** Writes lines (each ending in a newline) to the current segment, synchronously. */
  append(lines: string): void {
    this.fd ??= openSync(this.current, 'a');
    writeSync(this.fd, lines);
  }

  /**
   * Seals the current segment: what is appended from now on goes to a new one. Returns how many
   * segments are sealed; `release(n)` deletes those once their events are in the store.
   */
  seal(): number {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
      this.sealed.push(this.current);
      this.seq += 1;
    }
    return this.sealed.length;
  }

  /** Deletes the first `count` sealed segments (their events are stored or spilled). */
  release(count: number): void {
    for (const path of this.sealed.splice(0, count)) unlinkSync(path);
  }

  /** Seals and deletes everything: to be called once every event is stored or spilled. */
  close(): void {
    this.release(this.seal());
    liveTokens.delete(this.token);
  }
}
