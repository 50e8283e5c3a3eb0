import { DEFAULT_CLIENT_RETRY_AFTER_MS, GatewayError } from '../core/errors.js';
import { errorMessage } from '../core/error-trace.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { AuditLog } from '../governance/audit/log.js';
import { tagValueProblems } from '../governance/config.js';
import type { BudgetGuard } from '../ledger/budgets/guard.js';
import { configBudget, overrideOf, overrideValue, overrideView, parseOverrideRequest } from '../ledger/budgets/overrides.js';
import { readBudgets, type BudgetReadRequest } from '../ledger/budgets/readout.js';
import type { BudgetOverride } from '../ledger/budgets/state.js';
import { auditActor, requireAdmin } from './auth.js';
import { parseJson } from './body.js';
import { privateJsonResponse } from './respond.js';
import type { Route, RouteContext } from './route.js';

/** The query parameters the route reads; any other is a 400 (a typo must not widen or silently ignore a filter). */
const PARAMS = new Set(['budget', 'value']);

/** A budget's name as the config takes it (`ledger/config.ts` `budgetSchema`), a virtual key's (`key:<id>:<period>`) included. */
const BUDGET_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,255}$/;

const badQuery = (param: string | undefined, message: string): GatewayError =>
  new GatewayError({ kind: 'invalid_request', code: 'invalid_budgets_query', param, message: param === undefined ? message : `${param}: ${message}` });

/** The filters of the query string; named, never quoted, in a 400: a key pasted there must not come back. */
function parseQuery(query: URLSearchParams): Pick<BudgetReadRequest, 'budget' | 'value'> {
  for (const name of new Set(query.keys())) {
    // An unknown name is not quoted even in `param`: it may be a key pasted into the wrong place.
    if (!PARAMS.has(name)) throw badQuery(undefined, 'the query names a parameter this route does not take (it takes budget and value)');
    if (query.getAll(name).length > 1) throw badQuery(name, 'given more than once');
  }
  const budget = query.get('budget') ?? undefined;
  const value = query.get('value') ?? undefined;
  if (budget !== undefined && !BUDGET_NAME.test(budget)) throw badQuery('budget', 'not a budget name (letters, digits, . _ : -)');
  if (value !== undefined) {
    // A `per` tag's value: held to the tag value rule, which names a problem without quoting the value.
    const problem = value.length === 0 ? 'expected a tag value, not an empty one' : tagValueProblems(value)[0];
    if (problem !== undefined) throw badQuery('value', problem);
  }
  return { budget, value };
}

/**
 * GET /v1/switchyard/budgets?budget=<name>&value=<per value>: each budget's counters of the current
 * period as the gateway enforces them (its `budgets.state`: this process, the primary of `serve
 * --workers`, or Redis): limit, spent, reserved by requests in flight, remaining, period start, reset
 * and whether it refuses now. An admin reads every counter (a `per` budget's as listed by the state,
 * at most `MAX_LISTED_COUNTERS`); any other key only the counters its own requests count on, of budgets
 * bound to its key, team or user, so a team's key never reads another team's spend. Reads only. A state
 * that cannot be read is a 503 `budget_state_unavailable`. Refusals are not counted: the ledger records
 * only what reached an upstream.
 */
export function createBudgetsRoute(guard: BudgetGuard | undefined, logger: Logger = silentLogger): Route {
  return {
    method: 'GET',
    path: '/v1/switchyard/budgets',
    async handle({ query, caller }) {
      const filters = parseQuery(query);
      if (!guard) return privateJsonResponse(200, { object: 'switchyard.budgets', budgets: [], truncated: false });
      const ask: BudgetReadRequest = { ...filters, ownTags: caller.role === 'admin' ? undefined : caller.tags };
      try {
        const readout = await readBudgets(guard, ask);
        return privateJsonResponse(200, { object: 'switchyard.budgets', ...readout });
      } catch (err) {
        if (GatewayError.isInstance(err)) throw err;
        logger.warn({ err: errorMessage(err) }, 'budgets query failed: the budget state cannot be read');
        throw new GatewayError({ kind: 'unavailable', code: 'budget_state_unavailable', message: 'The budget counters cannot be read right now; try again shortly.', retryAfterMs: DEFAULT_CLIENT_RETRY_AFTER_MS, cause: err });
      }
    },
  };
}

/** What the override routes need of the running process, read per request: a reload replaces both. */
export interface BudgetOverrideTarget {
  /** The guard of the gateway serving now; undefined when it enforces no budget. */
  guard(): BudgetGuard | undefined;
  /** Where admin actions are recorded; undefined without an audit log (the operator log line is the record). */
  audit(): AuditLog | undefined;
  logger: Logger;
  now?: () => number;
}

const OVERRIDES_PATH = '/v1/switchyard/budgets/overrides';

/**
 * The on-call's temporary budget overrides, admin keys only: GET lists the unexpired ones; POST `{ budget,
 * value?, hard_usd, soft_usd?, expires_at | expires_in_minutes, reason }` sets one (at most 7 days);
 * DELETE `?budget=&value=` removes one (any the state holds, even of a budget a reload removed). Held
 * in the budget state, so every replica and worker enforces them; each set and removal is audited
 * (`budget.override_set`, `budget.override_removed`).
 */
export function createBudgetOverrideRoutes(target: BudgetOverrideTarget): Route[] {
  const now = target.now ?? Date.now;
  return [
    {
      method: 'GET',
      path: OVERRIDES_PATH,
      handle: async (ctx) => {
        requireAdmin(ctx.caller);
        if ([...ctx.query.keys()].length > 0) throw badQuery(undefined, 'this route takes no query parameters');
        const overrides = await onState(target, (guard) => guard.readable().state.overrides());
        return privateJsonResponse(200, { object: 'switchyard.budget_overrides', overrides: overrides.map(overrideView) });
      },
    },
    {
      method: 'POST',
      path: OVERRIDES_PATH,
      handle: async (ctx) => {
        requireAdmin(ctx.caller);
        const bytes = await ctx.body();
        const req = parseOverrideRequest(bytes.byteLength > 0 ? parseJson(bytes) : undefined);
        const guard = target.guard();
        const override = overrideOf(req, configBudget(guard, req.budget), auditActor(ctx.caller), now());
        const old = await onState(target, (g) => g.readable().state.setOverride(override));
        await audited(target, ctx, 'budget.override_set', override, old, override);
        return privateJsonResponse(200, { object: 'switchyard.budget_override', ...overrideView(override), replaced: old ? overrideView(old) : null });
      },
    },
    {
      method: 'DELETE',
      path: OVERRIDES_PATH,
      handle: async (ctx) => {
        requireAdmin(ctx.caller);
        const { budget, value } = parseQuery(ctx.query);
        if (budget === undefined) throw badQuery('budget', 'required: the budget whose override to remove');
        // Removed as the state holds it, whatever the config says now: an override a reload left behind
        // (its budget gone, or no longer `per`) must still be removable. The config only explains a miss.
        const old = await onState(target, (g) => g.readable().state.removeOverride(budget, value ?? '*'));
        if (!old) {
          overrideValue(configBudget(target.guard(), budget), value);
          throw new GatewayError({ kind: 'not_found', status: 404, code: 'no_budget_override', message: 'That budget (and value) has no override in force.' });
        }
        await audited(target, ctx, 'budget.override_removed', old, old, undefined);
        return privateJsonResponse(200, { object: 'switchyard.budget_override', ...overrideView(old), removed: true });
      },
    },
  ];
}

/** Runs `fn` on the serving guard's state; an unreadable state is a 503, never a 500. */
async function onState<T>(target: BudgetOverrideTarget, fn: (guard: BudgetGuard) => Promise<T>): Promise<T> {
  const guard = target.guard();
  if (!guard) throw new GatewayError({ kind: 'not_found', status: 404, code: 'unknown_budget', message: 'This gateway enforces no budget.' });
  try {
    return await fn(guard);
  } catch (err) {
    if (GatewayError.isInstance(err)) throw err;
    target.logger.warn({ err: errorMessage(err) }, 'budget override failed: the budget state cannot be reached');
    throw new GatewayError({ kind: 'unavailable', code: 'budget_state_unavailable', message: 'The budget state cannot be reached right now; try again shortly.', retryAfterMs: DEFAULT_CLIENT_RETRY_AFTER_MS, cause: err });
  }
}

/**
 * The audit entry of a set or removal: who, the budget and value, the limits before and after (`null`
 * for the config's) and the expiry and reason. Written after the change, like every admin action: a
 * failed append is logged, never turned into an error for a change already in force.
 */
async function audited(target: BudgetOverrideTarget, ctx: RouteContext, action: string, subject: BudgetOverride, old: BudgetOverride | undefined, set: BudgetOverride | undefined): Promise<void> {
  const limits = (o: BudgetOverride | undefined) => (o ? { hardUsd: o.hardUsd, softUsd: o.softUsd ?? null, expiresAt: new Date(o.expiresAt).toISOString(), reason: o.reason } : null);
  const details = { budget: subject.budget, value: subject.value === '*' ? null : subject.value, old: limits(old), new: limits(set) };
  const id = subject.value === '*' ? subject.budget : `${subject.budget}|${subject.value}`;
  const log = target.audit();
  // Without an audit log, the operator's log line is the record, as for the other admin actions.
  target.logger.warn({ audit: true, actor: auditActor(ctx.caller), action, ...details }, `budget override ${action === 'budget.override_set' ? 'set' : 'removed'}`);
  if (!log) return;
  await log.append({ actor: auditActor(ctx.caller), action, subject: `budget:${id}`, details }).catch((err: unknown) => target.logger.error({ err: errorMessage(err), action, subject: `budget:${id}` }, 'audit append failed'));
}
