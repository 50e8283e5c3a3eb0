import type { UsageEvent } from '../event.js';
import type { SqlDriver } from './driver.js';
import { migrate } from './migrations.js';
import { tagOf, type BaseDimension, type UsageQuery, type UsageRow } from './query.js';

/** Where usage events are kept and summarised. */
export interface LedgerStore {
  readonly dialect: 'sqlite' | 'postgres';
  /** Inserts events, ignoring ids already stored; returns how many were new. */
  insert(events: readonly UsageEvent[]): Promise<number>;
  summarize(query: UsageQuery): Promise<UsageRow[]>;
  close(): Promise<void>;
}

const COLUMNS = [
  'id', 'ts', 'day', 'request_id', 'attempt', 'operation', 'role', 'key_id', 'team', 'user_id', 'tags', 'group_name',
  'deployment', 'provider', 'model', 'region', 'prompt_tokens', 'completion_tokens', 'cached_read_tokens',
  'cached_write_tokens', 'reasoning_tokens', 'total_tokens', 'cost_usd', 'usage_estimated', 'latency_ms', 'ttft_ms',
  'status', 'error_kind',
] as const;

const ROW_PLACEHOLDERS = `(${COLUMNS.map(() => '?').join(', ')})`;
const CHUNK = 500;

const DIMENSION_COLUMN: Record<BaseDimension, string> = {
  provider: 'provider',
  model: 'model',
  deployment: 'deployment',
  region: 'region',
  key: 'key_id',
  team: 'team',
  user: 'user_id',
  group: 'group_name',
  day: 'day',
  status: 'status',
  operation: 'operation',
};

function values(e: UsageEvent): unknown[] {
  return [
    e.id, e.ts, e.day, e.requestId, e.attempt, e.operation, e.role, e.keyId ?? null, e.team ?? null, e.user ?? null,
    JSON.stringify(e.tags), e.group ?? null, e.deployment, e.provider, e.model, e.region ?? null, e.promptTokens,
    e.completionTokens, e.cachedReadTokens, e.cachedWriteTokens, e.reasoningTokens, e.totalTokens, e.costUsd ?? null,
    e.usageEstimated ? 1 : 0, e.latencyMs, e.ttftMs ?? null, e.status, e.errorKind ?? null,
  ];
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/** One store for both databases: the SQL is shared, the driver supplies the dialect's few differences. */
export class SqlLedgerStore implements LedgerStore {
  private constructor(private readonly driver: SqlDriver) {}

  get dialect(): 'sqlite' | 'postgres' {
    return this.driver.dialect;
  }

  /** Opens a store, running pending migrations first. */
  static async open(driver: SqlDriver): Promise<SqlLedgerStore> {
    await migrate(driver);
    return new SqlLedgerStore(driver);
  }

  /** The driver, for components that share the database (budget counters). */
  get sql(): SqlDriver {
    return this.driver;
  }

  async insert(events: readonly UsageEvent[]): Promise<number> {
    let inserted = 0;
    for (let i = 0; i < events.length; i += CHUNK) {
      const chunk = events.slice(i, i + CHUNK);
      const sql = `INSERT INTO ${this.driver.table('usage_events')} (${COLUMNS.join(', ')}) VALUES ${chunk.map(() => ROW_PLACEHOLDERS).join(', ')} ON CONFLICT (id) DO NOTHING`;
      const { changes } = await this.driver.query(sql, chunk.flatMap(values));
      inserted += changes;
    }
    return inserted;
  }

  async summarize(q: UsageQuery): Promise<UsageRow[]> {
    const params: unknown[] = [];
    const select: string[] = [];
    q.groupBy.forEach((d, i) => {
      const tag = tagOf(d);
      if (tag !== undefined) {
        select.push(`${this.driver.jsonText('tags')} AS g${i}`);
        params.push(tag);
      } else select.push(`${DIMENSION_COLUMN[d as BaseDimension]} AS g${i}`);
    });
    const where = ['ts >= ?', 'ts < ?'];
    params.push(q.from, q.to);
    for (const [d, v] of Object.entries(q.filter ?? {})) {
      if (v === undefined) continue;
      where.push(`${DIMENSION_COLUMN[d as BaseDimension]} = ?`);
      params.push(v);
    }
    const sql = `SELECT ${[
      ...select,
      'COUNT(DISTINCT request_id) AS requests',
      'COUNT(*) AS attempts',
      'SUM(prompt_tokens) AS prompt_tokens',
      'SUM(completion_tokens) AS completion_tokens',
      'SUM(cached_read_tokens) AS cached_read_tokens',
      'SUM(cached_write_tokens) AS cached_write_tokens',
      'SUM(reasoning_tokens) AS reasoning_tokens',
      'SUM(total_tokens) AS total_tokens',
      'SUM(cost_usd) AS cost_usd',
      'SUM(CASE WHEN cost_usd IS NULL AND total_tokens > 0 THEN 1 ELSE 0 END) AS unpriced',
      'SUM(usage_estimated) AS estimated',
      "SUM(CASE WHEN status <> 'ok' THEN 1 ELSE 0 END) AS errors",
    ].join(', ')} FROM ${this.driver.table('usage_events')} WHERE ${where.join(' AND ')}${
      select.length > 0 ? ` GROUP BY ${select.map((_, i) => i + 1).join(', ')}` : ''
    }`;
    const { rows } = await this.driver.query<Record<string, unknown>>(sql, params);
    return rows
      .filter((r) => num(r.attempts) > 0)
      .map((r) => {
        const keys: Record<string, string | null> = {};
        q.groupBy.forEach((d, i) => {
          const v = r[`g${i}`];
          keys[d] = v === null || v === undefined ? null : String(v);
        });
        return {
          keys,
          requests: num(r.requests),
          attempts: num(r.attempts),
          promptTokens: num(r.prompt_tokens),
          completionTokens: num(r.completion_tokens),
          cachedReadTokens: num(r.cached_read_tokens),
          cachedWriteTokens: num(r.cached_write_tokens),
          reasoningTokens: num(r.reasoning_tokens),
          totalTokens: num(r.total_tokens),
          costUsd: Math.round(num(r.cost_usd) * 1e10) / 1e10,
          unpricedAttempts: num(r.unpriced),
          estimatedAttempts: num(r.estimated),
          errors: num(r.errors),
        };
      })
      .sort((a, b) => b.costUsd - a.costUsd || JSON.stringify(Object.values(a.keys)).localeCompare(JSON.stringify(Object.values(b.keys))));
  }

  async close(): Promise<void> {
    await this.driver.close();
  }
}
