/** The little SQL surface the ledger needs; SQLite and PostgreSQL each implement it. */
export interface SqlDriver {
  readonly dialect: 'sqlite' | 'postgres';
  /** Qualified table name (PostgreSQL tables live in the configured schema). */
  table(name: string): string;
  /** A JSON text column's string member, for grouping by a free-form tag. */
  jsonText(column: string): string;
  /** Runs statements with `?` placeholders; returns rows (empty for writes) and the rows changed. */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<{ rows: T[]; changes: number }>;
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
