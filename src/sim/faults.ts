import { formatPath, type ConfigProblem } from '../config/interpolate.js';
import { configIssueMessage } from '../config/messages.js';
import * as z from '../config/zod.js';
import { seededRandom } from '../core/random.js';

/**
 * One scripted fault. A rule applies to requests for `model` (or all), for the next `count` requests
 * or for `duration_ms` from when it was added (or until removed). Several fields combine: a rule can
 * add latency and cut the stream.
 */
export const faultRuleSchema = z.strictObject({
  model: z.string().optional(),
  count: z.number().int().positive().optional(),
  duration_ms: z.number().int().positive().optional(),
  /** Share of matching requests the rule hits (0..1), drawn from the seeded RNG. */
  probability: z.number().min(0).max(1).optional(),
  /** Answer with this HTTP status and the cloud's own error shape. */
  status: z.number().int().min(400).max(599).optional(),
  /** The cloud-specific error name (e.g. ThrottlingException, context_length_exceeded). */
  error: z.string().optional(),
  error_message: z.string().optional(),
  retry_after_s: z.number().min(0).optional(),
  latency_ms: z.number().int().min(0).optional(),
  latency_jitter_ms: z.number().int().min(0).optional(),
  ttft_ms: z.number().int().min(0).optional(),
  inter_chunk_ms: z.number().int().min(0).optional(),
  /** Destroy the socket before answering. */
  reset: z.boolean().optional(),
  /** Stop sending (but keep the connection open) after this many content chunks. */
  stall_after_chunks: z.number().int().min(0).optional(),
  /** Close the connection after this many content chunks, without a proper end. */
  cut_after_chunks: z.number().int().min(0).optional(),
  /** Send an in-stream error event after this many content chunks (where the wire format has one). */
  stream_error_after_chunks: z.number().int().min(0).optional(),
  /** Send a body that is not valid for the protocol. */
  malformed: z.boolean().optional(),
  /**
   * Claude's streaming classifiers intervene (the Anthropic simulator): the answer ends with
   * `stop_reason: "refusal"` and `stop_details` naming this category (`null`: a refusal with no named category).
   */
  refusal_category: z.enum(['cyber', 'bio', 'frontier_llm', 'reasoning_extraction', 'general_harms']).nullable().optional(),
  /**
   * The account refuses the request (the Anthropic simulator), as api.anthropic.com does: a 400
   * invalid_request_error, not a 402, in its words: out of credit, a spend limit reached (access back at
   * the start of the next month, UTC), or the organization disabled.
   */
  account_refusal: z.enum(['credit_balance', 'usage_limit', 'organization_disabled']).optional(),
  /**
   * Cold standby: after `idle_ms` without requests (and before the first), the next `requests`
   * requests each take `latency_ms` longer, as a cold cache or connection pool does.
   */
  cold_start: z
    .strictObject({ idle_ms: z.number().int().min(0), requests: z.number().int().positive(), latency_ms: z.number().int().positive() })
    .optional(),
});

export type FaultRule = z.infer<typeof faultRuleSchema>;

/** A fault rule from the control API, or what is wrong with it in the config's words, each problem named by its path. */
export function parseFaultRule(input: unknown): { ok: true; rule: FaultRule } | { ok: false; problems: ConfigProblem[] } {
  const parsed = faultRuleSchema.safeParse(input, { error: configIssueMessage });
  if (parsed.success) return { ok: true, rule: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })) };
}

/** The words of a refused rule: its problems, each after its path (none for the rule itself, e.g. an unknown key in it). */
export function faultRuleRefusal(problems: readonly ConfigProblem[]): string {
  return `fault rule refused: ${problems.map((p) => (p.path === '(root)' ? p.message : `${p.path}: ${p.message}`)).join('; ')}`;
}

/** What the simulator should do for one request; absent fields mean "behave normally". */
export type Fault = Omit<FaultRule, 'model' | 'count' | 'duration_ms' | 'probability' | 'cold_start'> & { latencyMs: number };

interface ActiveRule {
  rule: FaultRule;
  remaining: number;
  until: number;
  /** Cold-start requests still to slow down. */
  cold: number;
}

export interface FaultInjectorOptions {
  seed?: number;
  now?: () => number;
}

/** Holds the scripted faults of one simulator; tests and the control endpoint add and clear rules. */
export class FaultInjector {
  private rules: ActiveRule[] = [];
  private readonly random: () => number;
  private readonly now: () => number;
  private lastRequestAt = Number.NEGATIVE_INFINITY;

  constructor(options: FaultInjectorOptions = {}) {
    this.random = seededRandom(options.seed ?? 1);
    this.now = options.now ?? Date.now;
  }

  add(rule: FaultRule): void {
    const parsed = faultRuleSchema.parse(rule);
    this.rules.push({
      rule: parsed,
      remaining: parsed.count ?? Number.POSITIVE_INFINITY,
      until: parsed.duration_ms === undefined ? Number.POSITIVE_INFINITY : this.now() + parsed.duration_ms,
      cold: 0,
    });
  }

  clear(): void {
    this.rules = [];
  }

  /** Decides the fault for one request to `model`, consuming counted rules. */
  next(model: string): Fault {
    const now = this.now();
    const idleMs = now - this.lastRequestAt;
    this.lastRequestAt = now;
    this.rules = this.rules.filter((r) => r.remaining > 0 && r.until > now);
    const fault: Fault = { latencyMs: 0 };
    for (const active of this.rules) {
      const { rule } = active;
      if (rule.model !== undefined && rule.model !== model) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      active.remaining -= 1;
      const { model: _m, count: _c, duration_ms: _d, probability: _p, cold_start, latency_ms, latency_jitter_ms, ...effects } = rule;
      Object.assign(fault, effects);
      fault.latencyMs += (latency_ms ?? 0) + (latency_jitter_ms ? Math.floor(this.random() * latency_jitter_ms) : 0);
      if (cold_start) fault.latencyMs += this.coldLatency(active, cold_start, idleMs);
    }
    return fault;
  }

  private coldLatency(active: ActiveRule, cold: NonNullable<FaultRule['cold_start']>, idleMs: number): number {
    if (idleMs >= cold.idle_ms) active.cold = cold.requests;
    if (active.cold === 0) return 0;
    active.cold -= 1;
    return cold.latency_ms;
  }
}
