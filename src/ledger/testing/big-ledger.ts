import Database from 'better-sqlite3';
import { openSqlite, type SqliteOptions } from '../store/sqlite-driver.js';
import { SqlLedgerStore } from '../store/sql-store.js';

/** 2025-06-01T00:00:00Z: the first day of `seedUsage`'s rows. */
export const SEED_FROM = Date.UTC(2025, 5, 1);

/**
 * Creates a SQLite ledger at `path` holding `rows` usage events over 30 days from `SEED_FROM`, spread
 * over 7 providers, 50 models, 100 keys, 13 teams, 4 statuses and a `project` tag, written in one
 * INSERT ... SELECT (hundreds of thousands of rows in about a second), for specs of long reports.
 */
export async function seedUsage(path: string, rows: number): Promise<void> {
  await (await SqlLedgerStore.open(openSqlite(path, { inserts: 'inline', reads: 'inline' }))).close();
  const db = new Database(path);
  db.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1)
     INSERT INTO usage_events (id, ts, day, request_id, attempt, operation, role, key_id, team, user_id, tags, group_name,
       deployment, provider, model, region, prompt_tokens, completion_tokens, cached_read_tokens, cached_write_tokens,
       reasoning_tokens, total_tokens, cost_usd, usage_estimated, latency_ms, ttft_ms, status, error_kind, cache_hit, saved_usd, quota_headroom)
     SELECT 'e' || i, ? + i % 30 * 86400000 + i % 86400000, '2025-06-' || printf('%02d', 1 + i % 30), 'r' || (i / 2), i % 2, 'chat', 'primary',
       'k' || (i % 100), 't' || (i % 13), 'u' || (i % 17), '{"project":"p' || (i % 11) || '"}', 'g' || (i % 3),
       'd' || (i % 20), 'p' || (i % 7), 'm' || (i % 50), 'r' || (i % 5), 100 + i % 900, 10 + i % 90, 0, 0, 0, 110 + i % 990,
       (i % 1000) / 1e5, 0, 100, NULL, CASE WHEN i % 4 = 0 THEN 'error' ELSE 'ok' END, NULL, 0, 0, NULL
     FROM n`,
  ).run(rows, SEED_FROM);
  db.close();
}

/** Opens `path` as the app does (a writer and a reader thread), or with every query on the event loop. */
export function openSeeded(path: string, options: SqliteOptions = {}): Promise<SqlLedgerStore> {
  return SqlLedgerStore.open(openSqlite(path, options));
}

/** The longest the event loop went without running a 1 ms timer while `work` was pending. */
export async function longestStall(work: Promise<unknown>): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  try {
    await work;
  } finally {
    clearInterval(tick);
  }
  return Math.max(longest, performance.now() - last);
}
