/**
 * Whether an error a ledger query threw means the database could not serve it (down, unreachable,
 * refusing connections, past `ledger.query_timeout_ms`, locked or its file unreadable) rather than a
 * bug or a bad statement. Routes answer the first with a 503 and the rest as internal errors.
 */

/** Socket and DNS failures on the way to a PostgreSQL server. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/**
 * PostgreSQL SQLSTATEs of a server that cannot serve: class 08 (connection exception), 57P01-57P03
 * (admin shutdown, crash shutdown, cannot connect now: starting or in recovery), 53300 (too many connections).
 */
const POSTGRES_STATE = /^(08[0-9A-Z]{3}|57P0[123]|53300)$/;

/** better-sqlite3's codes (extended ones included, e.g. SQLITE_IOERR_WRITE, SQLITE_BUSY_SNAPSHOT) for a file locked, missing or unreadable. */
const SQLITE_CODE = /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR)(_[A-Z_]+)?$/;

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
