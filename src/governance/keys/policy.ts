import { configIssueMessage } from '../../config/messages.js';
import * as z from '../../config/zod.js';
import { GatewayError } from '../../core/errors.js';
import { keyMetadataSchema, keyTagsSchema, tagValueProblems } from '../config.js';

const name = z.string().min(1).max(200);

/**
 * A key's `team` or `owner`: every request of the key carries it as its `team` or `user` tag, so it is
 * held to the tag value rule too (no control characters; 200 is within a tag value's length), as a
 * config key's `team` and `user` are.
 */
const tagField = (tag: 'team' | 'user') =>
  name.superRefine((value, ctx) => {
    for (const problem of tagValueProblems(value)) ctx.addIssue({ code: 'custom', message: `it is the key's ${tag} tag, and ${problem}` });
  });

/** A virtual key's budget: enforced by the budget guard as a budget `key:<id>:<period>` counted for that key alone. */
const keyBudgetSchema = z
  .strictObject({
    period: z.enum(['daily', 'monthly']),
    soft_usd: z.number().positive().optional(),
    hard_usd: z.number().positive().optional(),
  })
  .refine((b) => b.soft_usd !== undefined || b.hard_usd !== undefined, { message: 'a budget needs soft_usd, hard_usd or both' })
  // Past the hard limit nothing more is spent, so such a soft limit would never warn.
  .refine((b) => b.soft_usd === undefined || b.hard_usd === undefined || b.soft_usd <= b.hard_usd, { message: 'must not be above hard_usd: a soft limit warns on the way to the hard one', path: ['soft_usd'] });

/** What a virtual key may do; the same policy fields as a config `api_keys` entry, plus its own limits. */
export const keyPolicySchema = z.strictObject({
  owner: tagField('user').optional(),
  team: tagField('team').optional(),
  tags: keyTagsSchema.default({}),
  /** ISO 8601 time after which the key is refused. */
  expires_at: z.iso.datetime({ offset: true, error: 'expected an ISO 8601 time with its offset, such as 2027-01-01T00:00:00Z' }).optional(),
  // Not `metrics`: a scrape credential belongs in the config's api_keys, beside the Secret Prometheus
  // reads; a key minted at run time is a client's, and an admin holding one need not mint scrapers.
  role: z
    .enum(['admin', 'user'], {
      error: (issue) => (issue.input === 'metrics' ? 'a virtual key\'s role is "admin" or "user", not "metrics": a scrape credential is set in the config\'s api_keys, beside the secret Prometheus reads' : undefined),
    })
    .default('user'),
  residency: name.optional(),
  models: z.array(name).optional(),
  groups: z.array(name).optional(),
  allow_direct_deployments: z.boolean().optional(),
  budgets: z
    .array(keyBudgetSchema)
    .default([])
    .refine((bs) => new Set(bs.map((b) => b.period)).size === bs.length, { message: 'at most one budget per period' }),
  /** Enforced by the rate limiter as a rule `key:<id>`, like a config key's `rate_limit`. */
  rate_limits: z
    .strictObject({
      requests_per_minute: z.number().int().positive().optional(),
      tokens_per_minute: z.number().int().positive().optional(),
    })
    .default({}),
  metadata: keyMetadataSchema.default({}),
});

export type KeyPolicy = z.infer<typeof keyPolicySchema>;

/** A refused key policy: a 400 naming the field; `problem` is the words without it, for the CLI to name the flag that set it. */
export class KeyPolicyError extends GatewayError {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super({ kind: 'invalid_request', message: `Invalid key${field ? ` field '${field}'` : ''}: ${problem}${/[.?]$/.test(problem) ? '' : '.'}`, param: field || undefined, code: 'invalid_key_policy' });
  }
}

/** Parses a key policy from a request body or the CLI, with the config's words for zod's issues; a bad field is a 400 naming its path. */
export function parseKeyPolicy(input: unknown): KeyPolicy {
  const parsed = keyPolicySchema.safeParse(input ?? {}, { error: configIssueMessage });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new KeyPolicyError(issue?.path.map(String).join('.') ?? '', issue?.message ?? 'invalid');
}
