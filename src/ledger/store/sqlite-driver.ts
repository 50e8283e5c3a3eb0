import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { errorMessage } from '../../core/error-trace.js';
import type { Logger } from '../../core/logger.js';
import type { ReadOptions, SqlDriver } from './driver.js';
import { LIVE_FUNCTION, SqliteReader } from './sqlite-reader.js';
import { SqliteWriter, WAL_LIMIT_BYTES } from './sqlite-writer.js';
import { WalGate, type ClusterReads } from './wal-gate.js';

/** Prepared statements kept per connection; only fixed SQL (queries, one-row inserts) is ever cached. */
const MAX_STATEMENTS = 64;

export interface SqliteOptions {
  /**
   * Where usage-event inserts run: `worker` (default for a file) on a writer thread with its own
   * connection, so neither inserts nor WAL checkpoints block the event loop; `inline` on this
   * connection (the only choice for `:memory:`, which a second connection cannot see).
   */
  inserts?: 'worker' | 'inline';
  /**
   * Where `readMany` (usage summaries, listings) runs: `worker` (default for a file) on a reader
   * thread with its own read-only connection, so a long report never stalls the event loop; `inline`
   * on this connection (the only choice for `:memory:`).
   */
  reads?: 'worker' | 'inline';
  /** A `readMany` unanswered this long (waiting for the reader included) fails `SQLITE_INTERRUPT` and is stopped (`ledger.query_timeout_ms`). */
  queryTimeoutMs?: number;
  /** Told when another connection's read keeps the WAL from being checkpointed (`WalGate`). */
  logger?: Logger;
  /**
   * Under `serve --workers`: the other workers' reads of the file (named by its absolute path), which
   * their own gates hold as this one does, so its `WalGate` does not take them for an outsider's.
   */
  walReads?: (path: string) => ClusterReads;
}

/** `ledger.query_timeout_ms`'s default, for callers that open a file without the config (the CLI's `--sqlite`). */
const DEFAULT_QUERY_TIMEOUT_MS = 30_000;

const insertSql = (table: string, columns: readonly string[], key: string): string =>
  `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ON CONFLICT (${key}) DO NOTHING`;

/**
 * better-sqlite3 behind the driver surface. Short queries, migrations and the rare admin transactions
 * run on this (main-thread) connection; bulk inserts go to the writer thread, long reads (`readMany`)
 * to the reader thread.
 */
export function openSqlite(path: string, options: SqliteOptions = {}): SqlDriver {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  db.pragma(`journal_size_limit = ${WAL_LIMIT_BYTES}`);
  const writer = path !== ':memory:' && options.inserts !== 'inline' ? new SqliteWriter(path) : undefined;
  // Checkpoints belong to the writer thread: one here would stall the event loop on a big WAL.
  if (writer) db.pragma('wal_autocheckpoint = 0');
  // Two lanes, each its own thread (started on its first read): a budget seeding a request waits for
  // never queues behind a report that may take the whole query timeout.
  const timeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  const threaded = path !== ':memory:' && options.reads !== 'inline';
  // Reports wait for the writer's checkpoint once the WAL outgrows its limit; budget seedings never do:
  // a request is waiting on them, and each counter seeds once, so they cannot run back to back for long.
  const gate = threaded && writer ? new WalGate(`${path}-wal`, WAL_LIMIT_BYTES, () => writer.checkpoint(), { logger: options.logger, cluster: options.walReads?.(resolve(path)) }) : undefined;
  const readers = threaded
    ? { report: new SqliteReader(path, timeoutMs, gate), request: new SqliteReader(path, timeoutMs, gate && { hold: () => undefined, readStarted: () => gate.readStarted(), readEnded: () => gate.readEnded() }) }
    : undefined;
  const statements = new Map<string, Database.Statement>();

  const prepare = (sql: string): Database.Statement => {
    let stmt = statements.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql);
      if (statements.size < MAX_STATEMENTS) statements.set(sql, stmt);
    }
    return stmt;
  };

  const run = (sql: string, params: readonly unknown[] = []): { rows: never[] | Record<string, unknown>[]; changes: number } => {
    const stmt = prepare(sql);
    if (stmt.reader) return { rows: stmt.all(...params) as Record<string, unknown>[], changes: 0 };
    return { rows: [], changes: stmt.run(...params).changes };
  };

  // One single-row statement run per row inside one transaction: a multi-row VALUES statement per
  // batch size would prepare (and cache) a ~1 MB program for every distinct size, which is what
  // made RSS climb by hundreds of MB and cost ~20 µs per row in prepares.
  const inserts = new Map<string, (rows: ReadonlyArray<readonly unknown[]>) => number>();
  const insertFor = (sql: string): ((rows: ReadonlyArray<readonly unknown[]>) => number) => {
    let insert = inserts.get(sql);
    if (!insert) {
      const stmt = db.prepare(sql);
      insert = db.transaction((rows: ReadonlyArray<readonly unknown[]>) => {
        let changes = 0;
        for (const row of rows) changes += stmt.run(row).changes;
        return changes;
      });
      inserts.set(sql, insert);
    }
    return insert;
  };

  /** Ends the open transaction; a ROLLBACK that fails is logged, the transaction's own error is what its caller gets. */
  const rollback = (): void => {
    try {
      db.exec('ROLLBACK');
    } catch (err) {
      options.logger?.warn({ err: errorMessage(err) }, 'ledger transaction could not be rolled back');
    }
  };

  // One connection, so one transaction at a time, and while it is open every statement on the
  // connection is in it: another caller's statement then waits for its end (`serialised`), or its
  // rollback would take that write with it. Statements of its own work (through the driver too) run in
  // it, told apart by `own`, entered only for a transaction: with none open, a statement pays one check.
  let open: Transaction | undefined;
  const own = new AsyncLocalStorage<Transaction>();

  /** A transaction's hold on the connection, through which each of its statements runs. */
  class Transaction {
    /**
     * The statement error on which SQLite rolled the whole transaction back by itself (SQLITE_FULL,
     * SQLITE_IOERR, SQLITE_BUSY, SQLITE_NOMEM): what the transaction fails with, whatever `fn` makes of it.
     */
    ended: unknown;

    within<T>(work: () => T): T {
      // A statement left behind by work that has ended would commit on its own, or in another's transaction.
      if (open !== this) throw new Error('a statement of a ledger transaction that has already ended');
      // Run after SQLite's rollback, a statement would commit on its own.
      if (this.ended !== undefined) throw this.ended;
      try {
        return work();
      } catch (err) {
        if (!db.inTransaction) this.ended = err;
        throw err;
      }
    }
  }

  let queue: Promise<unknown> = Promise.resolve();
  /** Runs `work` once the transactions and held statements queued before it have ended. */
  const serialised = <T>(work: () => T | Promise<T>): Promise<T> => {
    const result = queue.then(work);
    queue = result.catch(() => undefined);
    return result;
  };
  /** A statement issued while `tx` is open: in it when its own work issued it, else once it has ended. */
  const held = <T>(tx: Transaction, work: () => T): T | Promise<T> => (own.getStore() === tx ? tx.within(work) : serialised(work));

  const driver: SqlDriver = {
    dialect: 'sqlite',
    table: (name) => name,
    jsonText: (column) => `json_extract(${column}, '$."' || ? || '"')`,
    async query<T>(sql: string, params?: readonly unknown[]) {
      if (open === undefined) return run(sql, params) as { rows: T[]; changes: number };
      return held(open, () => run(sql, params) as { rows: T[]; changes: number });
    },
    ...(readers && {
      interruptible: LIVE_FUNCTION,
      async readMany<T>(sql: string, params?: readonly unknown[], read?: ReadOptions) {
        return { rows: (await readers[read?.lane ?? 'report'].read(sql, params)) as T[] };
      },
    }),
    async insertRows(table, columns, key, rows) {
      if (rows.length === 0) return 0;
      const sql = insertSql(table, columns, key);
      if (writer) return writer.insert(sql, rows);
      const insert = insertFor(sql);
      return open === undefined ? insert(rows) : held(open, () => insert(rows));
    },
    ...(writer && {
      async insertJsonRows(table: string, columns: readonly string[], key: string, lines: readonly string[]) {
        return lines.length === 0 ? 0 : writer.insertLines(insertSql(table, columns, key), lines);
      },
    }),
    transaction(_lock, fn) {
      // Queued behind itself, it would wait forever.
      if (open !== undefined && own.getStore() === open) return Promise.reject(new Error('a ledger transaction cannot be opened inside another one'));
      return serialised(async () => {
        // BEGIN IMMEDIATE takes the database's write lock: one writer across processes.
        db.exec('BEGIN IMMEDIATE');
        const tx = new Transaction();
        open = tx;
        const query: SqlDriver['query'] = async <T>(sql: string, params?: readonly unknown[]) => tx.within(() => run(sql, params) as { rows: T[]; changes: number });
        try {
          const result = await own.run(tx, fn, query);
          if (tx.ended !== undefined) throw tx.ended;
          db.exec('COMMIT');
          return result;
        } catch (err) {
          // A ROLLBACK with no transaction open fails ("no transaction is active") and would hide why it ended.
          if (db.inTransaction) rollback();
          throw tx.ended ?? err;
        } finally {
          open = undefined;
          // Enabled, it costs every promise of the process its propagation (~100 ns each on Node 20).
          own.disable();
        }
      });
    },
    async migrationTransaction(fn) {
      await driver.transaction(0, fn);
    },
    async close() {
      gate?.close();
      await Promise.all([readers?.report.close(), readers?.request.close()]);
      await writer?.close();
      db.close();
    },
  };
  return driver;
}
