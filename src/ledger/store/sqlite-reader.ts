import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { LaneGate } from './wal-gate.js';

/**
 * The SQL function a long scan ANDs into its WHERE (`SqlDriver.interruptible`). It is always true; what
 * it buys is a call into the reader thread's JavaScript per row. better-sqlite3 12 exposes neither
 * `sqlite3_interrupt` nor a progress handler, and `Worker.terminate()` waits for a running
 * `sqlite3_step` to return (a 6 s aggregate went on for 6 s after it); with this call in the scan, a
 * terminated thread fails the statement at its next row and exits within milliseconds.
 */
export const LIVE_FUNCTION = 'switchyard_live()';

/**
 * The reader thread's script, plain JavaScript evaluated by the worker (as the writer's). Its own
 * read-only connection: in WAL mode (the main connection sets it, and it persists in the file) it
 * reads a snapshot while the writer thread commits, and a write sent to it fails SQLITE_READONLY.
 * The connection opens on the first query, so an unopenable file is that query's error, with its code.
 */
const READER_SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db;
const statements = new Map();
parentPort.on('message', (m) => {
  try {
    if (db === undefined) {
      db = new Database(workerData.path, { readonly: true, fileMustExist: true });
      db.pragma('busy_timeout = 5000');
      db.function('switchyard_live', { deterministic: false }, () => 1);
    }
    let stmt = statements.get(m.sql);
    if (!stmt) {
      stmt = db.prepare(m.sql);
      if (statements.size < 64) statements.set(m.sql, stmt);
    }
    parentPort.postMessage({ id: m.id, rows: stmt.all(...m.params) });
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err), code: err && err.code });
  }
});
`;

interface Reply {
  id: number;
  rows?: Record<string, unknown>[];
  error?: string;
  code?: unknown;
}

interface Job {
  id: number;
  sql: string;
  params: readonly unknown[];
  timer: NodeJS.Timeout;
  /** `performance.now()` past which it has failed. */
  deadline: number;
  resolve: (rows: Record<string, unknown>[]) => void;
  reject: (err: Error) => void;
}

/** What a read past `ledger.query_timeout_ms` fails with: SQLite's own code for an interrupted statement. */
export function queryTimeout(ms: number): Error {
  return Object.assign(new Error(`ledger query unanswered after ${ms} ms (ledger.query_timeout_ms); it was stopped`), { code: 'SQLITE_INTERRUPT' });
}

/**
 * Runs read-only queries on a `worker_threads` thread with its own connection, one at a time in the
 * order asked, so a report over months of usage never stalls the event loop. A query unanswered
 * `timeoutMs` after it was asked (waiting included) fails with `queryTimeout`; if it was running,
 * its thread is terminated (stopped at its next row, see `LIVE_FUNCTION`) and the next query gets a
 * new one. Started on the first query; holds the process open only while a query is pending. With a
 * `gate`, the next query starts only once the gate lets it (`WalGate`: a WAL grown past its limit),
 * waiting at most until its own time is up; the gate is told whenever a query starts and ends.
 */
export class SqliteReader {
  private worker: Worker | undefined;
  private running: Job | undefined;
  private held = false;
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly timeoutMs: number,
    private readonly gate?: LaneGate,
  ) {}

  /** The rows of `sql` (a statement that returns rows), read on the reader thread. */
  read(sql: string, params: readonly unknown[] = []): Promise<Record<string, unknown>[]> {
    if (this.closed) return Promise.reject(new Error('the SQLite reader is closed'));
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const timer = setTimeout(() => this.expire(id), this.timeoutMs);
      timer.unref();
      this.queue.push({ id, sql, params, timer, deadline: performance.now() + this.timeoutMs, resolve, reject });
      this.pump();
    });
  }

  /** Fails what is pending and ends the thread. */
  async close(): Promise<void> {
    this.closed = true;
    const err = new Error('the SQLite reader is closed');
    for (const job of this.queue.splice(0)) this.settle(job, err);
    if (this.running) this.settle(this.running, err);
    this.running = undefined;
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private pump(): void {
    if (this.running || this.held || this.closed) return;
    const job = this.queue[0];
    if (!job) {
      this.worker?.unref();
      return;
    }
    // Just past the job's deadline, so its own timer has failed it by the time the lane looks again.
    const hold = this.gate?.hold(job.deadline - performance.now() + 1);
    if (hold) {
      this.held = true;
      void hold.then(() => {
        this.held = false;
        this.pump();
      });
      return;
    }
    this.queue.shift();
    this.running = job;
    const worker = (this.worker ??= this.spawn());
    worker.ref();
    this.gate?.readStarted();
    worker.postMessage({ id: job.id, sql: job.sql, params: job.params });
  }

  private expire(id: number): void {
    const err = queryTimeout(this.timeoutMs);
    if (this.running?.id === id) {
      const job = this.running;
      this.running = undefined;
      this.stopWorker();
      this.settle(job, err);
      this.ended();
      return;
    }
    const at = this.queue.findIndex((j) => j.id === id);
    if (at >= 0) this.settle(this.queue.splice(at, 1)[0]!, err);
  }

  /** A running query ended: its snapshot is gone, which the gate may be waiting for. */
  private ended(): void {
    this.gate?.readEnded();
    this.pump();
  }

  private stopWorker(): void {
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
  }

  private settle(job: Job, result: Error | Record<string, unknown>[]): void {
    clearTimeout(job.timer);
    if (result instanceof Error) job.reject(result);
    else job.resolve(result);
  }

  private spawn(): Worker {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(READER_SCRIPT, { eval: true, workerData: { driver, path: this.path } });
    worker.on('message', (reply: Reply) => {
      const job = this.running;
      if (this.worker !== worker || job?.id !== reply.id) return;
      this.running = undefined;
      this.settle(job, reply.error === undefined ? (reply.rows ?? []) : Object.assign(new Error(reply.error), typeof reply.code === 'string' ? { code: reply.code } : {}));
      this.ended();
    });
    const fail = (err: Error): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const job = this.running;
      this.running = undefined;
      if (!job) return;
      this.settle(job, err);
      this.ended();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`SQLite reader thread exited (code ${code}).`)));
    return worker;
  }
}
