import * as z from '../config/zod.js';
import { tagMatchSchema, tagName } from '../ledger/config.js';

/** The four limits a rule (or an API key's `rate_limit`) may set; at least one. */
export const limitFields = {
  requests_per_minute: z.number().int().positive().optional(),
  tokens_per_minute: z.number().int().positive().optional(),
  requests_per_day: z.number().int().positive().optional(),
  tokens_per_day: z.number().int().positive().optional(),
};

type Limits = z.infer<z.ZodObject<typeof limitFields>>;

const someLimit = (l: Limits): boolean =>
  l.requests_per_minute !== undefined || l.tokens_per_minute !== undefined || l.requests_per_day !== undefined || l.tokens_per_day !== undefined;
const NEEDS_A_LIMIT = { message: 'a rate limit needs requests_per_minute, tokens_per_minute, requests_per_day or tokens_per_day' };

/** An API key's own `rate_limit`: a rule matching that key alone. */
export const keyRateLimitSchema = z.strictObject(limitFields).refine(someLimit, NEEDS_A_LIMIT);

/**
 * One rate limit rule: requests and tokens per minute and per day, for requests whose tags equal
 * `match` (`key`, `team`, `user` or any tag) and, with `group`, routed to that group: one shared counter, or one counter per value of `per`.
 */
export const rateLimitSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/),
    /** Only requests whose tags equal all of these (e.g. `{team: research}`); empty: every request. */
    match: tagMatchSchema.default({}),
    /** Only requests routed to this group (by its name or any of its aliases). */
    group: z.string().min(1).optional(),
    /** One counter per value of this tag (`key`: each key its own limit); requests without it are not counted. */
    per: tagName.optional(),
    ...limitFields,
  })
  .refine(someLimit, NEEDS_A_LIMIT);

export type RateLimitRule = z.infer<typeof rateLimitSchema>;
export type KeyRateLimit = z.infer<typeof keyRateLimitSchema>;

/** `rate_limits:` in the config. Counters live in Redis when `state.store` is `redis`, else in memory. */
export const rateLimitsSchema = z.array(rateLimitSchema).default([]);
