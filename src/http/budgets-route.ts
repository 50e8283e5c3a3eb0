import { DEFAULT_CLIENT_RETRY_AFTER_MS, GatewayError } from '../core/errors.js';
import { errorMessage } from '../core/error-trace.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { BudgetGuard } from '../ledger/budgets/guard.js';
import { readBudgets, type BudgetReadRequest } from '../ledger/budgets/readout.js';
import { privateJsonResponse } from './respond.js';
import type { Route } from './route.js';

/** The query parameters the route reads; any other is a 400 (a typo must not widen or silently ignore a filter). */
const PARAMS = new Set(['budget', 'value']);

/** A budget's name as the config takes it (`ledger/config.ts` `budgetSchema`), a virtual key's (`key:<id>:<period>`) included. */
const BUDGET_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,255}$/;

/** The longest `per` value asked for: a tag value is far shorter (`TAG_LIMITS`). */
const MAX_VALUE_LENGTH = 256;

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
  if (value !== undefined && (value.length === 0 || value.length > MAX_VALUE_LENGTH)) throw badQuery('value', `expected a tag value of 1 to ${MAX_VALUE_LENGTH} characters`);
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
