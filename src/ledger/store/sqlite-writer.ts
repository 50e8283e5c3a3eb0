import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { isObject } from '../../core/json.js';

/**
 * The writer thread's script. Plain JavaScript evaluated by the worker (a file path would differ
 * between the TypeScript sources under test and dist/). It opens its own connection and runs each
 * batch as one transaction of a prepared single-row INSERT; WAL checkpoints (PASSIVE, every ~4 MB of
 * WAL) run on its commits, so neither inserts nor checkpoints ever hold up the event loop. A read's
 * snapshot keeps them from reaching the WAL's end, so the WAL grows while a long one lasts (at most
 * `ledger.query_timeout_ms`); once it ends, the next commit checkpoints everything, the one after starts
 * the WAL over, and `WAL_LIMIT_BYTES` has SQLite cut the file back then, not keep the peak on disk. Reads
 * back to back leave no such moment; the reader lanes' `WalGate` makes one, with `checkpoint()`. A batch
 * comes as rows, or as JSON array lines that it parses itself (rows cost a structured clone per
 * value). The lines travel as an array of strings, not joined: one ~115 KB string per batch measured
 * ~600 µs to post (flattening it and copying it, each a fresh large allocation), the array ~60-110 µs.
 * A batch's rows run in slices with a pause between them (`WriterPacing`), inside its one transaction.
 */
const WRITER_SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('journal_mode = WAL');
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = NORMAL');
db.pragma('wal_autocheckpoint = 1000');
db.pragma('journal_size_limit = ' + workerData.walLimit);
const inserts = new Map();
const pause = new Int32Array(new SharedArrayBuffer(4));
parentPort.on('message', (m) => {
  if (m.sql === undefined) {
    if (m.checkpoint) {
      checkpoint(m.id);
      return;
    }
    db.close();
    parentPort.postMessage({ id: m.id, changes: 0 });
    parentPort.close();
    return;
  }
  try {
    let insert = inserts.get(m.sql);
    if (!insert) {
      const stmt = db.prepare(m.sql);
      insert = db.transaction((rows) => {
        let changes = 0;
        for (let i = 0; i < rows.length; i++) {
          if (i > 0 && i % workerData.sliceRows === 0) Atomics.wait(pause, 0, 0, workerData.pauseMs);
          changes += stmt.run(rows[i]).changes;
        }
        return changes;
      });
      inserts.set(m.sql, insert);
    }
    parentPort.postMessage({ id: m.id, changes: insert(m.lines === undefined ? m.rows : m.lines.map((line) => JSON.parse(line))) });
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err), code: err && err.code });
  }
});
// Asked by the reader lanes' WAL gate, never on a batch. It waits for no lock (busy_timeout 0), so the
// batches behind it are not held up: TRUNCATE copies what no reader's snapshot still needs and, when no
// reader is in the WAL, empties the file; a lock it cannot have makes it a PASSIVE checkpoint.
function checkpoint(id) {
  try {
    db.pragma('busy_timeout = 0');
    const [r] = db.pragma('wal_checkpoint(TRUNCATE)');
    parentPort.postMessage({ id, changes: 0, checkpoint: { busy: r.busy, log: r.log, checkpointed: r.checkpointed } });
  } catch (err) {
    parentPort.postMessage({ id, error: err instanceof Error ? err.message : String(err), code: err && err.code });
  } finally {
    db.pragma('busy_timeout = 5000');
  }
}
`;

/**
 * `journal_size_limit`: the WAL file's size kept once SQLite starts the WAL over. Above the ~4 MB a WAL
 * reaches between checkpoints, so only a WAL a long read let grow is ever cut.
 */
export const WAL_LIMIT_BYTES = 8 * 1024 * 1024;

/**
 * How the writer thread spreads a batch over time. A 500-row batch is ~3 ms of one core (~6 µs a row);
 * run at once, it holds that core while the request path's own processes (the client, the upstream, on a
 * small machine all on the same cores) wait for it, and that wait was about a quarter of p99 at 1 connection:
 * with slices of 100 rows (~0.6 ms) and a 0.2 ms pause between them, the scheduler gets the core back
 * between slices. Same transaction, same CPU; the batch's commit comes ~1 ms later, off the request path.
 * Measured side by side (`ab.mjs`, 8 x 3 s): p99 at 1 connection json 3.16 -> 2.34 ms, streams 2.68 ->
 * 2.15 (the floor's 1.09 and 1.26), CPU per request 0.99x and 1.01x. The pauses cost the writer thread
 * ~25 µs of CPU each (a futex wait and its timer), 4 per 500 rows: per-thread counts at 64 connections
 * put its CPU at 8.1-9.9 µs a request against 8.2-8.5 unpaced. Batches of 100 instead (`ledger.batch_size`)
 * gave the same p99, but five times the rounds and commits: 1.04-1.14x the CPU at 64 connections.
 */
export interface WriterPacing {
  /** Rows run back to back before a pause. */
  sliceRows: number;
  /** The pause between slices, in ms: the thread sleeps, its core is free. */
  pauseMs: number;
}

const DEFAULT_PACING: WriterPacing = { sliceRows: 100, pauseMs: 0.2 };

/** What `PRAGMA wal_checkpoint` answers: whether it was kept from finishing, the WAL's frames, those copied to the database. */
export interface Checkpoint {
  busy: number;
  log: number;
  checkpointed: number;
}

interface Reply {
  id: number;
  changes: number;
  checkpoint?: Checkpoint;
  error?: string;
  /** SQLite's code (SQLITE_FULL, SQLITE_BUSY...): what tells a database that cannot serve from a bug (`isDatabaseUnavailable`). */
  code?: unknown;
}

/**
 * An error of the writer thread as an Error with SQLite's code. A thread that failed to start (its file
 * unopenable) reports what it threw structured-cloned: better-sqlite3's error arrives a plain object.
 */
function writerError(message: unknown, code: unknown): Error {
  const coded = typeof code === 'string' ? { code } : {};
  const text = typeof message === 'string' ? message : `the SQLite writer thread failed${typeof code === 'string' ? ` (${code})` : ''}`;
  return Object.assign(new Error(text), coded);
}

interface Pending {
  resolve: (changes: number, checkpoint?: Checkpoint) => void;
  reject: (err: Error) => void;
}

type Message = { sql: string; rows?: ReadonlyArray<readonly unknown[]>; lines?: readonly string[] } | { sql: undefined; checkpoint?: true };

/**
 * Runs batched INSERTs on a worker thread with its own SQLite connection. Started on the first
 * batch; keeps the process alive only while a batch is in flight; a writer that died is replaced
 * on the next batch (the failed batches were rejected, so the batcher kept or spilled them).
 */
export class SqliteWriter {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closing = false;

  constructor(
    private readonly path: string,
    private readonly pacing: WriterPacing = DEFAULT_PACING,
  ) {}

  /** Runs `sql` once per row in one transaction on the writer; resolves with the rows changed. */
  insert(sql: string, rows: ReadonlyArray<readonly unknown[]>): Promise<number> {
    return new Promise((resolve, reject) => this.send({ sql, rows }, { resolve, reject }));
  }

  /** The same for rows given as JSON array lines, one string each. */
  insertLines(sql: string, lines: readonly string[]): Promise<number> {
    return new Promise((resolve, reject) => this.send({ sql, lines }, { resolve, reject }));
  }

  /**
   * Checkpoints the WAL once the batches sent before have run, waiting for no reader: TRUNCATE, which
   * empties the file when no reader is in the WAL, else copies what no reader's snapshot still needs.
   */
  checkpoint(): Promise<Checkpoint> {
    if (this.closing) return Promise.reject(new Error('the SQLite writer is closed'));
    return new Promise((resolve, reject) =>
      this.send({ sql: undefined, checkpoint: true }, { resolve: (_, result) => (result ? resolve(result) : reject(new Error('the SQLite writer answered a checkpoint without its result'))), reject }),
    );
  }

  /** Closes the writer's connection (checkpointing the WAL) once the batches sent before have run. */
  async close(): Promise<void> {
    if (!this.worker) return;
    const worker = this.worker;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    this.closing = true;
    await new Promise((resolve) => this.send({ sql: undefined }, { resolve, reject: resolve }));
    await exited;
  }

  private send(message: Message, pending: Pending): void {
    const worker = (this.worker ??= this.spawn());
    const id = this.nextId++;
    if (this.pending.size === 0) worker.ref();
    this.pending.set(id, pending);
    worker.postMessage({ id, ...message });
  }

  private spawn(): Worker {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WRITER_SCRIPT, { eval: true, workerData: { driver, path: this.path, walLimit: WAL_LIMIT_BYTES, ...this.pacing } });
    worker.on('message', (reply: Reply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      // Idle, the writer must not keep the process alive; closing, its exit is still awaited.
      if (this.pending.size === 0 && !this.closing) worker.unref();
      if (reply.error === undefined) p.resolve(reply.changes, reply.checkpoint);
      else p.reject(writerError(reply.error, reply.code));
    });
    const fail = (err: Error): void => {
      if (this.worker === worker) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', (err: unknown) => fail(err instanceof Error ? err : writerError(isObject(err) ? err.message : undefined, isObject(err) ? err.code : undefined)));
    worker.on('exit', (code) => fail(new Error(`SQLite writer thread exited (code ${code}).`)));
    return worker;
  }
}
