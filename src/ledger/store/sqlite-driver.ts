import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { SqlDriver } from './driver.js';

/** better-sqlite3 behind the driver surface. Calls are synchronous and short (batched inserts). */
export function openSqlite(path: string): SqlDriver {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  const statements = new Map<string, Database.Statement>();

  const run = (sql: string, params: readonly unknown[] = []): { rows: never[] | Record<string, unknown>[]; changes: number } => {
    let stmt = statements.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql);
      if (statements.size < 200) statements.set(sql, stmt);
    }
    if (stmt.reader) return { rows: stmt.all(...params) as Record<string, unknown>[], changes: 0 };
    return { rows: [], changes: stmt.run(...params).changes };
  };

  const driver: SqlDriver = {
    dialect: 'sqlite',
    table: (name) => name,
    jsonText: (column) => `json_extract(${column}, '$."' || ? || '"')`,
    async query<T>(sql: string, params?: readonly unknown[]) {
      return run(sql, params) as { rows: T[]; changes: number };
    },
    async migrationTransaction(fn) {
      db.exec('BEGIN IMMEDIATE');
      try {
        await fn(driver.query);
        db.exec('COMMIT');
      } catch (err) {
        db.exec('ROLLBACK');
        throw err;
      }
    },
    async close() {
      db.close();
    },
  };
  return driver;
}
