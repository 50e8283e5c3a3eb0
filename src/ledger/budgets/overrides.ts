import * as z from '../../config/zod.js';
import { GatewayError } from '../../core/errors.js';
import { tagValueCheck, type BudgetConfig } from '../config.js';
import type { BudgetGuard } from './guard.js';
import type { BudgetOverride } from './state.js';

/** The longest an override may last: an incident's stopgap, not a config change that nobody reviewed. */
export const MAX_OVERRIDE_MS = 7 * 24 * 3_600_000;

/** A USD limit: positive, finite, and far below what a float would round. */
const usd = z.number().positive().max(1e9, { message: 'at most 1000000000' });

/** Text with no control character but tab and line feed. */
function noControlButBreaks(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a) || c === 0x7f) return false;
  }
  return true;
}

const setBody = z
  .strictObject({
    budget: z.string().min(1).max(256),
    /**
     * The `per` value; required for a `per` budget, refused for another. Held to the tag value rule (no
     * control characters, at most `TAG_LIMITS.value`): it is a tag's value, and the audit log stores it.
     */
    value: z.string().min(1).superRefine(tagValueCheck('it is the value of the budget\'s `per` tag')).optional(),
    hard_usd: usd,
    soft_usd: usd.optional(),
    /** When it ends: RFC 3339, or `expires_in_minutes` from now; exactly one. */
    expires_at: z.iso.datetime({ offset: true }).optional(),
    expires_in_minutes: z.number().int().positive().max(MAX_OVERRIDE_MS / 60_000).optional(),
    // Free text for the audit log: line feeds and tabs may stay; other control characters (NUL, which
    // Postgres refuses, would lose the audit entry of an override already in force) may not.
    reason: z.string().trim().min(1).max(500).refine(noControlButBreaks, 'must not hold control characters other than line feeds and tabs'),
  })
  .refine((b) => (b.expires_at === undefined) !== (b.expires_in_minutes === undefined), { message: 'give exactly one of expires_at and expires_in_minutes', path: ['expires_at'] })
  .refine((b) => b.soft_usd === undefined || b.soft_usd <= b.hard_usd, { message: 'must not be above hard_usd: a soft limit warns on the way to the hard one', path: ['soft_usd'] });

/** What `POST /v1/switchyard/budgets/overrides` takes. */
export type OverrideRequest = z.infer<typeof setBody>;

const invalid = (param: string | undefined, message: string): GatewayError =>
  new GatewayError({ kind: 'invalid_request', code: 'invalid_value', param, message: param === undefined ? message : `${param}: ${message}` });

/** The body of a set, or a 400 naming the first field that is wrong. */
export function parseOverrideRequest(body: unknown): OverrideRequest {
  if (body === undefined) throw invalid(undefined, 'expected a JSON body: { budget, value?, hard_usd, soft_usd?, expires_at | expires_in_minutes, reason }.');
  const r = setBody.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  // An unknown field is named in `param` as the OpenAI door names one (`unknownMember`): its name, cut
  // to 64 characters, never its value.
  if (issue?.code === 'unrecognized_keys') throw invalid(String(issue.keys[0]).slice(0, 64), 'is not a field of an override (budget, value, hard_usd, soft_usd, expires_at, expires_in_minutes, reason).');
  const param = issue?.path.join('.') || undefined;
  throw invalid(param, `${issue?.message ?? 'unexpected shape'}.`);
}

/**
 * The config budget `name` names, or a 404 that does not quote it (an admin pasting a key there would
 * get it back). A virtual key's budget is changed through its key, not overridden.
 */
export function configBudget(guard: BudgetGuard | undefined, name: string): BudgetConfig {
  const b = guard?.readable().limits.find((x) => x.name === name);
  if (!b) throw new GatewayError({ kind: 'not_found', status: 404, code: 'unknown_budget', param: 'budget', message: 'No budget of the config has that name (GET /v1/switchyard/budgets lists them).' });
  return b;
}

/** The counter value an override of `b` applies to: `value` for a `per` budget (required), `*` otherwise. */
export function overrideValue(b: BudgetConfig, value: string | undefined): string {
  if (b.per === undefined) {
    if (value !== undefined) throw invalid('value', `budget "${b.name}" has no \`per\`: it has one counter, so an override takes no value.`);
    return '*';
  }
  if (value === undefined) throw invalid('value', `budget "${b.name}" counts per ${b.per}: name the ${b.per} the override is for.`);
  return value;
}

/** The override a valid request sets at `now`, by `by`; a past or too distant expiry is a 400. */
export function overrideOf(req: OverrideRequest, b: BudgetConfig, by: string, now: number): BudgetOverride {
  const value = overrideValue(b, req.value);
  const expiresAt = req.expires_at === undefined ? now + (req.expires_in_minutes as number) * 60_000 : Date.parse(req.expires_at);
  if (expiresAt <= now) throw invalid('expires_at', 'is not in the future.');
  if (expiresAt - now > MAX_OVERRIDE_MS) throw invalid('expires_at', 'is more than 7 days ahead: an override is for an incident; change the config for longer.');
  return { budget: b.name, value, hardUsd: req.hard_usd, softUsd: req.soft_usd, expiresAt, setAt: now, by, reason: req.reason };
}

/** An override as the API shows it (the readout, the list, the audit entry). */
export function overrideView(o: BudgetOverride): Record<string, string | number | null> {
  return {
    budget: o.budget,
    value: o.value === '*' ? null : o.value,
    hardUsd: o.hardUsd,
    softUsd: o.softUsd ?? null,
    expiresAt: new Date(o.expiresAt).toISOString(),
    setAt: new Date(o.setAt).toISOString(),
    by: o.by,
    reason: o.reason,
  };
}
