/**
 * Whether an error a ledger query threw means the database could not serve it (down, unreachable,
 * refusing connections, past `ledger.query_timeout_ms` or PostgreSQL's `statement_timeout`, locked,
 * its file unreadable, its disk full) rather than a bug or a bad statement. Routes answer the first
 * with a 503 and the rest as internal errors.
 *
 * A timeout is a 503 like the database being down, not a 504: the gateway's 504 says an upstream model
 * timed out, and whether the gateway gave up on a slow query (`query_timeout_ms`) or the server did
 * (`statement_timeout`) is the same fact to a client. A full disk is a 503 too, for reads and writes
 * alike: an operations fault that frees up (space is made, a vacuum runs), never the request's.
 */

/** Socket and DNS failures on the way to a PostgreSQL server. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/**
 * PostgreSQL SQLSTATEs of a server that cannot serve: class 08 (connection exception), 57P01-57P03
 * (admin shutdown, crash shutdown, cannot connect now: starting or in recovery), 57014 (query_canceled:
 * `statement_timeout`, or an operator's `pg_cancel_backend`), 53100 (disk full), 53200 (out of memory),
 * 53300 (too many connections).
 */
const POSTGRES_STATE = /^(08[0-9A-Z]{3}|57P0[123]|57014|53[123]00)$/;

/**
 * better-sqlite3's codes (extended ones included, e.g. SQLITE_IOERR_WRITE, SQLITE_BUSY_SNAPSHOT) for a
 * file locked, missing, unreadable or on a full disk (SQLITE_FULL, also a `max_page_count` reached),
 * and SQLITE_INTERRUPT: a read the reader thread stopped past `ledger.query_timeout_ms` (`sqlite-reader.ts`).
 */
const SQLITE_CODE = /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|FULL|INTERRUPT)(_[A-Z_]+)?$/;

/**
 * pg's own words, without a code: a connection lost or closed under the query ("Connection terminated
 * unexpectedly", pg-pool's "... due to connection timeout"), the pool's connect timeout, a client
 * broken by an earlier error, and `query_timeout` (`ledger.query_timeout_ms`: "Query read timeout").
 */
const PG_MESSAGES = [/^Connection terminated\b/, /^timeout exceeded when trying to connect$/, /^Client has encountered a connection error and is not queryable$/, /^Query read timeout$/];

/** True for a database that cannot serve right now; false for anything else (a TypeError, a SQL syntax error, a constraint). */
export function isDatabaseUnavailable(err: unknown): boolean {
  // The cause chain and an AggregateError's members (Node's connect to several addresses), bounded against a cycle.
  const pending: unknown[] = [err];
  for (let seen = 0; pending.length > 0 && seen < 16; seen += 1) {
    const e = pending.shift();
    if (!(e instanceof Error)) continue;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || POSTGRES_STATE.test(code) || SQLITE_CODE.test(code))) return true;
    if (PG_MESSAGES.some((m) => m.test(e.message))) return true;
    if (e.cause !== undefined) pending.push(e.cause);
    if (e instanceof AggregateError) pending.push(...(e.errors as unknown[]));
  }
  return false;
}
