/** How a long read is run. */
export interface ReadOptions {
  /**
   * `request`: a request waits for it (a budget counter's first seeding), so it runs apart from
   * `report`s (usage, dashboard, listings; the default) and never queues behind one.
   */
  lane?: 'request' | 'report';
}

/** The little SQL surface the ledger needs; SQLite and PostgreSQL each implement it. */
export interface SqlDriver {
  readonly dialect: 'sqlite' | 'postgres';
  /** Qualified table name (PostgreSQL tables live in the configured schema). */
  table(name: string): string;
  /** A JSON text column's string member, for grouping by a free-form tag. */
  jsonText(column: string): string;
  /**
   * Runs statements with `?` placeholders; returns rows (empty for writes) and the rows changed. SQLite
   * runs them on the event loop: for writes and short lookups (a row by its key), never long scans.
   */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<{ rows: T[]; changes: number }>;
  /**
   * A read that may scan many rows (usage summaries, listings): a driver that would otherwise run it on
   * the event loop offers this (SQLite: on a reader thread, failed past `ledger.query_timeout_ms`). Use
   * `readRows`, which falls back to `query`.
   */
  readMany?<T = Record<string, unknown>>(sql: string, params?: readonly unknown[], options?: ReadOptions): Promise<{ rows: T[] }>;
  /**
   * An always-true condition for a long scan to AND into its WHERE, so `readMany` can stop the statement
   * midway when it runs past the timeout (SQLite's reader: see `LIVE_FUNCTION`). Absent: not needed.
   */
  readonly interruptible?: string;
  /**
   * Inserts rows (values in `columns` order), skipping any whose `key` column value is already stored;
   * returns how many were new. The SQL does not depend on the number of rows, so a driver that
   * prepares statements keeps one per table.
   */
  insertRows(table: string, columns: readonly string[], key: string, rows: ReadonlyArray<readonly unknown[]>): Promise<number>;
  /**
   * The same for rows given as JSON array lines (one string each), parsed where they are written: a
   * driver with a writer thread offers this, so the event loop builds no rows.
   */
  insertJsonRows?(table: string, columns: readonly string[], key: string, lines: readonly string[]): Promise<number>;
  /**
   * Runs `fn` in one transaction holding the lock `lock` (a PostgreSQL advisory lock; SQLite's write
   * lock), so writers that read-then-write (the audit chain) are serialised across processes.
   */
  transaction<T>(lock: number, fn: (q: SqlDriver['query']) => Promise<T>): Promise<T>;
  /** Runs `fn` in one transaction holding a lock that serialises migrations across processes. */
  migrationTransaction(fn: (q: SqlDriver['query']) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/** Runs a read that may scan many rows where the driver runs those (`readMany`), else as any query. */
export function readRows<T = Record<string, unknown>>(driver: SqlDriver, sql: string, params?: readonly unknown[], options?: ReadOptions): Promise<{ rows: T[] }> {
  return driver.readMany ? driver.readMany<T>(sql, params, options) : driver.query<T>(sql, params);
}
