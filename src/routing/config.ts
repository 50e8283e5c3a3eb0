import * as z from '../config/zod.js';
import { groupCacheSchema } from '../cache/config.js';
import { MEDIA_URL_POLICIES } from './deployment.js';
import { timerMs } from '../config/timer.js';

export const STRATEGIES = ['priority', 'round-robin', 'weighted', 'random', 'least-latency', 'least-busy', 'cost-optimized'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

const memberSchema = z.union([
  z.string().min(1),
  z.strictObject({
    id: z.string().min(1),
    weight: z.number().positive().optional(),
    /** This group's price hint for cost-optimized routing (any consistent unit, e.g. USD per 1M tokens); the catalog's price wins. */
    price: z.number().min(0).optional(),
  }),
]);

const paramsSchema = z.strictObject({
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  max_tokens: z.number().int().positive().optional(),
  presence_penalty: z.number().min(-2).max(2).optional(),
  frequency_penalty: z.number().min(-2).max(2).optional(),
  seed: z.number().int().optional(),
});

/** A model group: the name (and aliases) clients ask for, and the deployments that may serve it. */
export const groupSchema = z
  .strictObject({
    name: z.string().min(1).describe('the model name clients ask for, e.g. chat'),
    aliases: z.array(z.string().min(1)).default([]),
    /** Task types this group serves (e.g. coding, analysis, simple, vision), chosen by `x-switchyard-task`. */
    tasks: z.array(z.string().min(1)).default([]),
    strategy: z.enum(STRATEGIES).default('priority'),
    deployments: z.array(memberSchema).min(1, 'a group needs at least one deployment'),
    /** least-latency: share of requests sent to a random member so a recovered one gets measured again (default 0.1). */
    exploration: z.number().min(0).max(1).optional(),
    /** Name of a quality gate given to createGateway; a rejected answer escalates to the next member. */
    quality_gate: z.string().min(1).optional(),
    /** Where errors that ordinary fallback never takes may go: group names or deployment ids. */
    fallbacks: z
      .strictObject({
        context_window_exceeded: z.array(z.string().min(1)).default([]),
        content_filtered: z.array(z.string().min(1)).default([]),
      })
      .prefault({}),
    /** Applied identically whichever deployment serves, so failover keeps tone and length. */
    system_prompt: z.string().min(1).optional(),
    defaults: paramsSchema.default({}),
    /**
     * Streams carry provider-specific data (`switchyard_extensions`) on their last chunk; off, streams look
     * exactly like OpenAI's. Defaults to `stream_resume`, whose marker travels there.
     */
    stream_extensions: z.boolean().optional(),
    /** A stream that breaks after its first text goes on from the next eligible deployment, in the same response. */
    stream_resume: z.boolean().default(false),
    /** Exact-match answer cache for this group (see src/cache/); clients may also opt in per request. */
    cache: groupCacheSchema.optional(),
    /** Mirrors a share of requests to standby members; answers are discarded, attempts recorded. */
    shadow: z
      .strictObject({
        share: z.number().min(0).max(1),
        /** Standbys to mirror to; by default every member except the one serving. */
        deployments: z.array(z.string().min(1)).optional(),
      })
      .optional(),
  })
  .superRefine(checkStrategyOptions)
  // Defaulted only where it applies, so a parsed config passes the schema again (a reload of the same object).
  .transform((g) => ({ ...g, exploration: g.exploration ?? (g.strategy === 'least-latency' ? DEFAULT_EXPLORATION : undefined), stream_extensions: g.stream_extensions ?? g.stream_resume }));

/** least-latency's share of requests sent to a random member. */
const DEFAULT_EXPLORATION = 0.1;

export type GroupConfig = z.infer<typeof groupSchema>;

/**
 * A strategy's own settings on a group of another strategy would be ignored, and the operator who
 * wrote weights without `strategy: weighted` (priority is the default) believes traffic is split.
 */
function checkStrategyOptions(g: { strategy: StrategyName; exploration?: number | undefined; deployments: ReadonlyArray<z.infer<typeof memberSchema>> }, ctx: z.RefinementCtx): void {
  const misplaced = (path: PropertyKey[], key: string, owner: StrategyName, does: string): void => {
    ctx.addIssue({ code: 'custom', path, message: `only the ${owner} strategy ${does}; this group's strategy is ${g.strategy} (remove ${key}, or set strategy: ${owner})` });
  };
  if (g.exploration !== undefined && g.strategy !== 'least-latency') misplaced(['exploration'], 'exploration', 'least-latency', 'explores');
  g.deployments.forEach((m, i) => {
    if (typeof m === 'string') return;
    if (m.weight !== undefined && g.strategy !== 'weighted') misplaced(['deployments', i, 'weight'], 'weight', 'weighted', 'reads weights');
    if (m.price !== undefined && g.strategy !== 'cost-optimized') misplaced(['deployments', i, 'price'], 'price', 'cost-optimized', 'reads prices');
  });
}

/** The default ceiling of the growing cool-off, so a recovered deployment is tried again soon. */
const MAX_COOL_OFF_MS = 30_000;

export const breakerSchema = z
  .strictObject({
    consecutive_failures: z.number().int().min(1).default(5),
    /** Error rate over the window that opens the breaker, once `min_requests` were seen. */
    error_rate: z.number().gt(0).max(1).default(0.5),
    window_ms: timerMs().positive().default(30_000),
    min_requests: z.number().int().min(1).default(20),
    cool_off_ms: timerMs().positive().default(5_000),
    /** Ceiling of the cool-off, which grows by `cool_off_multiplier` with each trip in a row. */
    max_cool_off_ms: timerMs().positive().optional(),
    cool_off_multiplier: z.number().min(1).default(2),
    /** Concurrent trial requests let through while half-open. */
    half_open_probes: z.number().int().min(1).default(1),
    /** Trial successes that close a half-open breaker. */
    half_open_successes: z.number().int().min(1).default(1),
  })
  // Unset, the ceiling is 30 s, or the first cool-off when that is configured longer.
  .transform((b) => ({ ...b, max_cool_off_ms: b.max_cool_off_ms ?? Math.max(MAX_COOL_OFF_MS, b.cool_off_ms) }))
  .prefault({});

export type BreakerConfig = z.infer<typeof breakerSchema>;

export const healthSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    interval_ms: timerMs().positive().default(15_000),
    timeout_ms: timerMs().positive().default(5_000),
    /** `models` lists models (free where the provider allows); `request` sends a 1-token chat. */
    mode: z.enum(['models', 'request']).default('models'),
    failures_to_down: z.number().int().min(1).default(3),
    successes_to_up: z.number().int().min(1).default(2),
  })
  .prefault({});

export type HealthConfig = z.infer<typeof healthSchema>;

/** `routing.stream_max_ms` when the config leaves it out: an hour, longer than a serverless invocation may run. */
export const STREAM_MAX_DEFAULT_MS = 3_600_000;

export const routingSchema = z
  .strictObject({
    max_attempts_per_deployment: z.number().int().min(1).max(10).default(2),
    attempt_timeout_ms: timerMs().positive().default(60_000),
    /** Whole-request deadline across retries and fallbacks. */
    deadline_ms: timerMs().positive().default(120_000),
    /** Streams: the first content part must arrive within this, or the attempt fails over. */
    ttft_timeout_ms: timerMs().positive().default(30_000),
    /** Streams: after the first content, the longest silence before the stream fails as a timeout. */
    stream_idle_timeout_ms: timerMs().positive().default(60_000),
    /**
     * Streams: the longest one may run from its first content, however steadily it trickles (the
     * deadline covers only the wait for the first content); past it the stream ends with a timeout
     * error. 0: no limit.
     */
    stream_max_ms: timerMs().min(0).default(STREAM_MAX_DEFAULT_MS),
    backoff: z
      .strictObject({
        base_ms: timerMs().min(0).default(100),
        cap_ms: timerMs().min(0).default(2_000),
        max_retry_after_ms: timerMs().min(0).default(5_000),
      })
      .prefault({}),
    /** A 429 cools its deployment for the upstream's retry-after (or retry-after-ms), else this long. */
    rate_limit: z
      .strictObject({
        default_cool_down_ms: timerMs().positive().default(1_000),
        /** The longest cool-down a 429 may ask for: a daily quota's (or a broken upstream's) retry-after must not take a deployment out for a day; after it, one attempt asks again. */
        max_cool_down_ms: timerMs().positive().default(300_000),
      })
      .prefault({}),
    /** Retries of the same deployment may be at most `ratio` of requests over `window_ms` (plus `min_retries`). */
    retry_budget: z
      .strictObject({
        ratio: z.number().min(0).max(10).default(0.2),
        window_ms: timerMs().positive().default(10_000),
        min_retries: z.number().int().min(0).default(10),
      })
      .prefault({}),
    breaker: breakerSchema,
    health: healthSchema,
    /** Once a deployment recovers it gets a growing share of its traffic back over `ramp_ms`. */
    failback: z
      .strictObject({
        ramp_ms: timerMs().min(0).default(60_000),
        start_share: z.number().min(0).max(1).default(0.1),
        /** While ramping, this many consecutive failures re-open the breaker (hysteresis). */
        probation_failures: z.number().int().min(1).default(1),
      })
      .prefault({}),
    /** With a shared state store: how often breaker states published by other replicas are pulled. */
    state_sync_ms: timerMs().positive().default(1_000),
    /** Unknown model names go to `default_group` instead of failing with model_not_found. */
    unknown_model_to_default: z.boolean().default(false),
    /** Deployment ids are model names too (under their group's policy); API keys may override it. */
    allow_direct_deployments: z.boolean().default(false),
    /**
     * Which media URLs upstreams may be asked to fetch, for deployments without their own `media_urls`:
     * `public` keeps a client from making a self-hosted model server fetch from its own network.
     */
    media_urls: z.enum(MEDIA_URL_POLICIES).default('public'),
  })
  .prefault({});

export type RoutingConfig = z.infer<typeof routingSchema>;

export interface Member {
  id: string;
  weight: number;
  price: number | undefined;
}

/**
 * One message for an entry a group's list repeats (its members, a special fallback list, its shadow
 * targets), naming the first entry it repeats and what the repeat would do.
 */
export function listedTwice(entry: string, list: string, first: string, consequence: string, fix = 'list it once'): string {
  return `${entry} is listed twice in ${list} (first at ${first}): ${consequence}; ${fix}`;
}

/** Members of a group with their weights, in configured order. */
export function groupMembers(group: GroupConfig): Member[] {
  return group.deployments.map((m) => (typeof m === 'string' ? { id: m, weight: 1, price: undefined } : { id: m.id, weight: m.weight ?? 1, price: m.price }));
}
