import type { SqlDriver } from './driver.js';

/**
 * The one schema, as ordered migrations. Types are chosen to mean the same in SQLite and PostgreSQL
 * (BIGINT, DOUBLE PRECISION, TEXT); `tags` is JSON text in both.
 */
const MIGRATIONS: ReadonlyArray<{ version: number; statements: (t: (name: string) => string) => string[] }> = [
  {
    version: 1,
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t('usage_events')} (
        id TEXT PRIMARY KEY,
        ts BIGINT NOT NULL,
        day TEXT NOT NULL,
        request_id TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        operation TEXT NOT NULL,
        role TEXT NOT NULL,
        key_id TEXT,
        team TEXT,
        user_id TEXT,
        tags TEXT NOT NULL,
        group_name TEXT,
        deployment TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        region TEXT,
        prompt_tokens BIGINT NOT NULL,
        completion_tokens BIGINT NOT NULL,
        cached_read_tokens BIGINT NOT NULL,
        cached_write_tokens BIGINT NOT NULL,
        reasoning_tokens BIGINT NOT NULL,
        total_tokens BIGINT NOT NULL,
        cost_usd DOUBLE PRECISION,
        usage_estimated INTEGER NOT NULL,
        latency_ms BIGINT NOT NULL,
        ttft_ms BIGINT,
        status TEXT NOT NULL,
        error_kind TEXT
      )`,
      `CREATE INDEX IF NOT EXISTS usage_events_ts ON ${t('usage_events')} (ts)`,
      `CREATE INDEX IF NOT EXISTS usage_events_key_ts ON ${t('usage_events')} (key_id, ts)`,
    ],
  },
  {
    // Virtual keys (src/governance/keys): the secret only as an HMAC; `policy` is JSON text;
    // `revision` grows with every change, so replicas notice changes with one aggregate query.
    version: 2,
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t('virtual_keys')} (
        id TEXT PRIMARY KEY,
        hmac TEXT NOT NULL,
        owner TEXT,
        team TEXT,
        policy TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        expires_at BIGINT,
        revoked_at BIGINT,
        revision BIGINT NOT NULL
      )`,
    ],
  },
  {
    // The audit log (src/governance/audit): a hash chain in `seq` order.
    version: 3,
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t('audit_log')} (
        seq BIGINT PRIMARY KEY,
        ts BIGINT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        details TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      )`,
    ],
  },
  {
    // Answers from the response cache: cost 0, and the cost they saved.
    version: 4,
    statements: (t) => [
      `ALTER TABLE ${t('usage_events')} ADD COLUMN cache_hit INTEGER NOT NULL DEFAULT 0`,
      `ALTER TABLE ${t('usage_events')} ADD COLUMN saved_usd DOUBLE PRECISION`,
    ],
  },
  {
    // Stored conversations of the OpenAI Responses front door (`previous_response_id`): the messages
    // up to each response as JSON text, readable only by the key that made it, deleted after retention.
    version: 5,
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t('responses')} (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        messages TEXT NOT NULL
      )`,
      `CREATE INDEX IF NOT EXISTS responses_expires ON ${t('responses')} (expires_at)`,
    ],
  },
  {
    // The deployment's provider-quota headroom after each attempt (NULL without a declared quota).
    version: 6,
    statements: (t) => [`ALTER TABLE ${t('usage_events')} ADD COLUMN quota_headroom DOUBLE PRECISION`],
  },
  {
    // The key list's order, read from an index rather than sorted: SQLite's reader thread can stop a
    // statement only at a row its scan hands over (`SqlDriver.interruptible`), and a sort runs to its end.
    version: 7,
    statements: (t) => [`CREATE INDEX IF NOT EXISTS virtual_keys_created ON ${t('virtual_keys')} (created_at DESC, id)`],
  },
  {
    // The residency a stored conversation was made under (NULL: none), which its continuations are held to.
    version: 8,
    statements: (t) => [`ALTER TABLE ${t('responses')} ADD COLUMN residency TEXT`],
  },
  {
    // The Response object as the door answered it and the request's input items, JSON text, for
    // GET /v1/responses/{id} and its input_items (NULL in older rows: those answer 404 there).
    version: 9,
    statements: (t) => [`ALTER TABLE ${t('responses')} ADD COLUMN response TEXT`, `ALTER TABLE ${t('responses')} ADD COLUMN input_items TEXT`],
  },
  {
    // A streamed response under way ('streaming': its id is out, its answer not yet) and one deleted
    // meanwhile ('deleted': the tombstone its stream's save obeys); NULL for a stored response.
    version: 10,
    statements: (t) => [`ALTER TABLE ${t('responses')} ADD COLUMN state TEXT`],
  },
  {
    // The part of cached_write_tokens written to a one-hour prompt cache (priced apart from the
    // five-minute one), so a row's cost can be recomputed from its tokens; rows before it read 0.
    // A constant default: PostgreSQL 11+ adds it without rewriting the table.
    version: 11,
    statements: (t) => [`ALTER TABLE ${t('usage_events')} ADD COLUMN cached_write_1h_tokens BIGINT NOT NULL DEFAULT 0`],
  },
];

/**
 * Applies the migrations not yet recorded; safe to run from several processes at once. `through`: none
 * past that version (a database as an earlier build left it, for tests of the step after).
 */
export async function migrate(driver: SqlDriver, through = Number.POSITIVE_INFINITY): Promise<number[]> {
  const applied: number[] = [];
  await driver.migrationTransaction(async (q) => {
    const table = driver.table('switchyard_ledger_migrations');
    await q(`CREATE TABLE IF NOT EXISTS ${table} (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`);
    const done = new Set((await q<{ version: number }>(`SELECT version FROM ${table}`)).rows.map((r) => Number(r.version)));
    for (const m of MIGRATIONS) {
      if (done.has(m.version) || m.version > through) continue;
      for (const sql of m.statements((n) => driver.table(n))) await q(sql);
      await q(`INSERT INTO ${table} (version, applied_at) VALUES (?, ?)`, [m.version, Date.now()]);
      applied.push(m.version);
    }
  });
  return applied;
}
