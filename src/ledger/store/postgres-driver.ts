import pg from 'pg';
import type { Logger } from '../../core/logger.js';
import type { SqlDriver } from './driver.js';
import { errorMessage } from '../../core/error-trace.js';
import { isDatabaseUnavailable } from './unavailable.js';

/** Rewrites `?` placeholders to PostgreSQL's `$n` (the ledger's SQL has no `?` inside literals). */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Rows per INSERT statement: one round trip per chunk, within PostgreSQL's 65,535 parameters. */
const INSERT_CHUNK = 500;

const MIGRATION_LOCK = 0x5357_4c44; // "SWLD": one migrator at a time across replicas.

export interface PostgresOptions {
  /** Default 4. */
  readonly poolSize?: number;
  /**
   * How long a query may wait for its answer before it fails and its connection is dropped: a database
   * that accepts connections but hangs (a lock, a stalled server) would otherwise hold a flush forever.
   * Client-side (pg's `query_timeout`), so nothing is set on the session (an RDS Proxy would pin it).
   * Default none.
   */
  readonly queryTimeoutMs?: number;
  /** How long a migration waits for a table's lock before it gives up, to be retried (default 5 s; see `migrationTransaction`). */
  readonly migrationLockTimeoutMs?: number;
}

const MIGRATION_LOCK_TIMEOUT_MS = 5000;

/** PostgreSQL's SQLSTATE connection_failure (class 08, which `isDatabaseUnavailable` reads as an outage). */
const CONNECTION_FAILURE = '08006';

/**
 * A transaction's connection failed: whatever pg reports (a socket error, the server ending the session,
 * such as an idle-in-transaction timeout) is the database unable to serve it, never a bug of the caller.
 * An error `isDatabaseUnavailable` already tells so is kept as it is; another becomes its cause.
 */
function connectionLost(err: Error): Error {
  if (isDatabaseUnavailable(err)) return err;
  return Object.assign(new Error(`ledger database connection lost: ${err.message}`, { cause: err }), { code: CONNECTION_FAILURE });
}

/** A pg pool behind the driver surface. Tables live in `schema`, created when missing. */
export function openPostgres(url: string, schema: string, logger: Logger, options: PostgresOptions = {}): SqlDriver {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 4, connectionTimeoutMillis: 5000, idleTimeoutMillis: 10_000, query_timeout: options.queryTimeoutMs });
  // An idle client whose server went away emits here; without a listener it would crash the process.
  pool.on('error', (err) => logger.warn({ err: errorMessage(err) }, 'ledger database connection lost'));
  const query: SqlDriver['query'] = async <T>(sql: string, params: readonly unknown[] = []) => {
    const r = await pool.query(numbered(sql), params as unknown[]);
    return { rows: r.rows as T[], changes: r.rowCount ?? 0 };
  };
  return {
    dialect: 'postgres',
    table: (name) => `"${schema}".${name}`,
    jsonText: (column) => `(${column}::jsonb ->> ?)`,
    query,
    async insertRows(table, columns, key, rows) {
      let inserted = 0;
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        const chunk = rows.slice(i, i + INSERT_CHUNK);
        // pg sends unnamed statements (nothing is prepared server-side), so a VALUES list per chunk size costs nothing to keep.
        const values: string[] = [];
        let n = 0;
        for (const row of chunk) values.push(`(${row.map(() => `$${++n}`).join(', ')})`);
        const r = await pool.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values.join(', ')} ON CONFLICT (${key}) DO NOTHING`, chunk.flat());
        inserted += r.rowCount ?? 0;
      }
      return inserted;
    },
    async transaction<T>(lock: number, fn: (q: SqlDriver['query']) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      // A checked-out client has no listener of the pool's: a connection that dies under it (a restart, a
      // failover, a pooled one dead before the pool read so) would emit 'error' unheard, an uncaught exception.
      let lost: Error | undefined;
      const onError = (err: Error): void => {
        lost ??= connectionLost(err);
      };
      client.on('error', onError);
      // A connection the rollback failed on (a query that timed out is still running there) is dropped, not pooled.
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [lock]);
        const result = await fn(async <R>(sql: string, params: readonly unknown[] = []) => {
          const r = await client.query(numbered(sql), params as unknown[]);
          return { rows: r.rows as R[], changes: r.rowCount ?? 0 };
        });
        await client.query('COMMIT');
        return result;
      } catch (err) {
        // On a lost connection the server ends the transaction itself; what failed is the connection.
        if (lost) throw lost;
        await client.query('ROLLBACK').catch((rollback: unknown) => (broken = rollback as Error));
        // Lost during the rollback: the connection is what failed, whatever the statement threw.
        throw lost ?? err;
      } finally {
        // Released with its error, the pool ends the client rather than hand it out again.
        client.release(lost ?? broken);
        client.off('error', onError);
      }
    },
    async migrationTransaction(fn) {
      await this.transaction(MIGRATION_LOCK, async (q) => {
        // An ALTER TABLE waits for the table's readers (an older replica's long usage report) and, queued,
        // holds every other replica's inserts behind it: bounded here, then retried with events buffered.
        // SET LOCAL: this transaction only, never the pooled session.
        await q(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(options.migrationLockTimeoutMs ?? MIGRATION_LOCK_TIMEOUT_MS))}`);
        await q(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
        await fn(q);
      });
    },
    async close() {
      await pool.end();
    },
  };
}
