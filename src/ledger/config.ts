import * as z from '../config/zod.js';
import { timerMs } from '../config/timer.js';
import { httpUrl } from '../config/url.js';
import { storeUrlRef } from '../config/secret-ref.js';
import { TAG_LIMITS, TAG_NAME, tagValueProblems } from '../governance/config.js';

/** USD per million tokens; the shape shared by the shipped catalog and config overrides. */
export const priceFields = {
  input: z.number().min(0),
  output: z.number().min(0),
  /** Absent: the model has no prompt cache, cached tokens (if any) are billed at `input`. */
  cache_read: z.number().min(0).optional(),
  /** Absent: cache writes cost the same as input (OpenAI, Gemini implicit caching). */
  cache_write: z.number().min(0).optional(),
  /** One-hour cache writes (Anthropic's `ttl: "1h"`). Absent: twice `input` for Claude models, else `cache_write`. */
  cache_write_1h: z.number().min(0).optional(),
};

/** Higher prices that apply to the whole request once its prompt exceeds a threshold (Gemini Pro, Claude 1M). */
export const longContextSchema = z.strictObject({
  above_prompt_tokens: z.number().int().positive(),
  ...priceFields,
});

/** One price: a model (and its aliases), optionally limited to regions or inference-profile prefixes. */
export const priceEntrySchema = z.strictObject({
  model: z.string().min(1),
  aliases: z.array(z.string().min(1)).default([]),
  /** Applies only in these regions / locations (e.g. Vertex `global`); absent: any region. */
  regions: z.array(z.string().min(1)).optional(),
  /** Applies only to these inference-profile prefixes (Bedrock `us.`, `eu.`, `global.` without the dot). */
  profiles: z.array(z.string().min(1)).optional(),
  ...priceFields,
  long_context: longContextSchema.optional(),
  /** When the price was read from its source (YYYY-MM-DD); defaults to the provider's date. */
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
  source: z.string().min(1).optional(),
  note: z.string().optional(),
});

export type PriceEntryInput = z.input<typeof priceEntrySchema>;
export type PriceEntryConfig = z.infer<typeof priceEntrySchema>;

const priceSchema = z.strictObject({ ...priceFields, long_context: longContextSchema.optional(), note: z.string().optional() });
export type FixedPriceConfig = z.infer<typeof priceSchema>;

/**
 * `pricing:` in the config. `models` add to or replace catalog entries (same provider, model, regions
 * and profiles); `deployments` price one deployment directly (self-hosted, negotiated rates).
 */
export const pricingSchema = z
  .strictObject({
    /** Extra catalog file (same format as pricing/catalog.json) merged over the shipped one. */
    catalog_file: z.string().min(1).optional(),
    /** Provider types priced as another catalog provider, e.g. `my-proxy: openai` (the catalog lists its own). */
    provider_aliases: z.record(z.string(), z.string()).default({}),
    models: z.array(priceEntrySchema.extend({ provider: z.string().min(1) })).default([]),
    deployments: z.record(z.string(), priceSchema).default({}),
  })
  .default({ provider_aliases: {}, models: [], deployments: {} });

export type PricingConfig = z.infer<typeof pricingSchema>;

const LEDGER_DEFAULTS = {
  enabled: true,
  store: 'sqlite' as const,
  path: '.switchyard/ledger.sqlite',
  schema: 'public',
  batch_size: 500,
  flush_interval_ms: 1000,
  max_buffer: 50_000,
  spill_path: '.switchyard/ledger-spill.jsonl',
  retry_interval_ms: 2000,
  query_timeout_ms: 30_000,
  usage_queries_per_caller: 2,
  usage_queries_max: 8,
  journal: true,
  journal_dir: '.switchyard/ledger-journal',
};

/** A PostgreSQL schema name the ledger's SQL may quote as is: `ledger.schema`, the CLI's `--pg-schema`. */
export const PG_SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/;

/** `ledger:` in the config: where usage events go and how they are batched. */
export const ledgerSchema = z
  .strictObject({
    enabled: z.boolean().default(LEDGER_DEFAULTS.enabled),
    store: z.enum(['sqlite', 'postgres', 'stdout']).default(LEDGER_DEFAULTS.store),
    /** SQLite file (created with its folder). */
    path: z.string().min(1).default(LEDGER_DEFAULTS.path),
    /** PostgreSQL connection URL, usually `${DATABASE_URL}`; it carries a password, so it is a secret. Empty: not set. */
    url: storeUrlRef(['postgres:', 'postgresql:'], 'postgres://user:${PGPASSWORD}@db:5432/switchyard'),
    /**
     * PostgreSQL: connections this process may open (the batched writes, usage queries, virtual keys,
     * stored responses). Unset: 4; in a serverless function, where every instance (a thousand, on
     * Lambda's default concurrency) holds its own pool, frozen instances' included, 1 on Lambda (a
     * request per instance) and 2 on Cloud Functions and Azure Functions (many at once).
     */
    pool_size: z.number().int().positive().optional(),
    /** PostgreSQL schema holding the tables (created if missing). */
    schema: z.string().regex(PG_SCHEMA_NAME).default(LEDGER_DEFAULTS.schema),
    batch_size: z.number().int().positive().default(LEDGER_DEFAULTS.batch_size),
    flush_interval_ms: timerMs().positive().default(LEDGER_DEFAULTS.flush_interval_ms),
    /** Events held in memory while the database is down; beyond this they spill to `spill_path`. */
    max_buffer: z.number().int().positive().default(LEDGER_DEFAULTS.max_buffer),
    spill_path: z.string().min(1).default(LEDGER_DEFAULTS.spill_path),
    retry_interval_ms: timerMs().positive().default(LEDGER_DEFAULTS.retry_interval_ms),
    /**
     * PostgreSQL: a query without an answer after this long fails (its connection dropped), so a database
     * that accepts connections but hangs cannot hold the ledger's writes forever; the events buffer and
     * spill as in an outage. SQLite: a long read on the reader thread (a usage summary, the key list)
     * unanswered this long is stopped, a 503 to the route. Long enough for the ledger's own queries and reports.
     */
    query_timeout_ms: timerMs().positive().default(LEDGER_DEFAULTS.query_timeout_ms),
    /**
     * GET /v1/switchyard/usage queries one API key may have running at once; past it, 429 with
     * retry-after. A report over months grouped many ways can take seconds of the database.
     */
    usage_queries_per_caller: z.number().int().positive().default(LEDGER_DEFAULTS.usage_queries_per_caller),
    /**
     * GET /v1/switchyard/usage queries this process runs or queues at once, whoever asks; past it, 503
     * `ledger_busy` with retry-after, before the query queues. Budget seeding and the key list are not counted.
     */
    usage_queries_max: z.number().int().positive().default(LEDGER_DEFAULTS.usage_queries_max),
    /** Journal every event to a local file before the answer is sent, so a killed process loses none. */
    journal: z.boolean().default(LEDGER_DEFAULTS.journal),
    /** Folder of journal segments; one per process (segments of a dead process are replayed on start). */
    journal_dir: z.string().min(1).default(LEDGER_DEFAULTS.journal_dir),
  })
  .superRefine((l, ctx) => {
    if (l.enabled && l.store === 'postgres' && !l.url) ctx.addIssue({ code: 'custom', path: ['url'], message: 'store "postgres" needs a url (e.g. ${DATABASE_URL})' });
  })
  .default(LEDGER_DEFAULTS);

export type LedgerConfig = z.infer<typeof ledgerSchema>;

/** A tag name budgets' `per` and `match` and rate limits' take. */
export const tagName = z.string().regex(TAG_NAME, 'expected a tag name (letters, digits, _ . -)');

/**
 * A refinement holding a string the gateway puts in a tag or compares with one (a key's `team`, a
 * `match` value) to the bounds of a key's tag values (governance's `tagValueProblems`, the rule its
 * `keyTagsSchema` runs); each problem is led by `why`, what makes the string a tag value.
 */
export function tagValueCheck(why: string): (value: string, ctx: z.RefinementCtx) => void {
  return (value, ctx) => {
    for (const problem of tagValueProblems(value)) ctx.addIssue({ code: 'custom', message: `${why}, and ${problem}` });
  };
}

/**
 * Budgets' and rate limits' `match`: tag names and the values requests' tags must equal, as many and as
 * long as a key's own tags may be: a longer value or more names could match no key's request, and the
 * values are quoted in a budget's scope (429 messages, soft-limit notices, status).
 */
export const tagMatchSchema = z
  .record(z.string(), z.string())
  .superRefine((match, ctx) => {
    const names = Object.keys(match).length;
    // Counted first, alone: a match of 100,000 entries would otherwise answer 100,000 problems.
    if (names > TAG_LIMITS.count) ctx.addIssue({ code: 'custom', message: `at most ${TAG_LIMITS.count} tags to match (this has ${names}), as a key has at most ${TAG_LIMITS.count} tags` });
  })
  .pipe(z.record(tagName, z.string().superRefine(tagValueCheck('a match value can only equal a tag value'))));

/** One budget: a USD limit per period for everyone, per key/team/user, or for requests with given tags. */
export const budgetSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/),
    period: z.enum(['daily', 'monthly']),
    /** Crossing it logs a warning and notifies once per period. */
    soft_usd: z.number().positive().optional(),
    /** Requests are refused with `budget_exceeded` once spend plus reservations reach it. */
    hard_usd: z.number().positive().optional(),
    /** One counter per value of this tag (`key`, `team`, `user` or any tag); requests without it are not counted. */
    per: tagName.optional(),
    /** Only requests whose tags equal all of these (e.g. `{team: research}`). */
    match: tagMatchSchema.default({}),
    /**
     * POSTed a JSON notice when the soft limit is crossed. A token in its path or query is how Slack,
     * Teams and many receivers authenticate, so those are kept (GET /v1/switchyard/config shows the origin only).
     */
    webhook: httpUrl({
      invalid: 'expected an http(s) URL',
      fix: 'put the receiver\'s token in the URL\'s path or query as it documents (the config endpoint shows only the webhook\'s origin)',
      query: 'any',
    }).optional(),
  })
  .refine((b) => b.soft_usd !== undefined || b.hard_usd !== undefined, { message: 'a budget needs soft_usd, hard_usd or both' });

export type BudgetConfig = z.infer<typeof budgetSchema>;

/** `budgets:` in the config. */
export const budgetsSchema = z
  .strictObject({
    /**
     * Where budget counters live: `memory` (this process; exact for one replica) or `redis` (shared by
     * every replica, at the top-level `state.redis_url` under `state.key_prefix`; needed as soon as
     * several gateways enforce the same budgets).
     */
    state: z.enum(['memory', 'redis']).default('memory'),
    /**
     * Completion tokens a budget reservation assumes for a request with no max_tokens on a deployment
     * with no `max_output_tokens`; rate limits assume it for any request with no max_tokens.
     */
    default_completion_tokens: z.number().int().positive().default(4096),
    limits: z.array(budgetSchema).default([]),
  })
  .default({ state: 'memory', default_completion_tokens: 4096, limits: [] });

export type BudgetsConfig = z.infer<typeof budgetsSchema>;
