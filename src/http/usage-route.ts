import { DEFAULT_CLIENT_RETRY_AFTER_MS, GatewayError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { LedgerStore } from '../ledger/store/sql-store.js';
import { buildReport } from '../ledger/report/build.js';
import { toJson } from '../ledger/report/formats.js';
import { parseReportOptions } from '../ledger/report/options.js';
import { fromLedger } from './ledger-query.js';
import { privateJsonResponse } from './respond.js';
import type { Route } from './route.js';

/**
 * The most groups one answer holds. A group_by of many dimensions over a long range can make one group
 * per event: 200,000 groups were a 100 MB answer and ~3 s of the event loop taking the rows in, sorting
 * and serialising them, whichever thread read them. A wider query is a 400; `switchyard report` reads
 * any number.
 */
export const MAX_USAGE_GROUPS = 10_000;

/** `ledger.usage_queries_per_caller`'s default. */
export const USAGE_QUERIES_PER_CALLER = 2;

/** `ledger.usage_queries_max`'s default. */
export const USAGE_QUERIES_MAX = 8;

/** How many usage queries may run at once (`ledger.usage_queries_per_caller`, `ledger.usage_queries_max`). */
export interface UsageQueryLimits {
  perCaller?: number;
  max?: number;
}

/**
 * GET /v1/switchyard/usage?from=YYYY-MM-DD&to=YYYY-MM-DD&group_by=provider,day — the `report` query as
 * JSON. A caller whose API key is not `role: admin` sees only its own key's usage. A ledger database
 * that cannot be read (down, or past `query_timeout_ms`) is a 503 `ledger_unavailable` (`fromLedger`).
 * An answer holds at most `MAX_USAGE_GROUPS` groups; a wider one is a 400.
 * A caller (its key; every keyless caller is one) with `perCaller` queries still running is refused
 * with 429 `usage_queries_in_flight` and retry-after: a report can take seconds, and one key asking
 * for many at once would queue every other caller's behind its own. With `max` queries running or
 * queued in this process, whoever asks, the next is refused before it queues with 503 `ledger_busy`
 * and retry-after (the gateway's load, not this caller's rate): many keys at once would otherwise fill
 * the reader's queue until every report timed out, and the key list waited behind them all. Budget
 * seeding and the key list never pass here, so this bound never refuses them.
 */
export function createUsageRoute(store: LedgerStore | undefined, now: () => number = Date.now, logger: Logger = silentLogger, limits: UsageQueryLimits = {}): Route {
  const perCaller = limits.perCaller ?? USAGE_QUERIES_PER_CALLER;
  const max = limits.max ?? USAGE_QUERIES_MAX;
  const inFlight = new Map<string, number>();
  let total = 0;
  return {
    method: 'GET',
    path: '/v1/switchyard/usage',
    async handle({ query: q, caller }) {
      if (!store) throw new GatewayError({ kind: 'not_found', code: 'ledger_disabled', message: 'The usage ledger is disabled (ledger.enabled: false).' });
      let opts;
      try {
        opts = parseReportOptions({ from: q.get('from') ?? undefined, to: q.get('to') ?? undefined, groupBy: q.get('group_by') ?? undefined, format: 'json' }, now());
      } catch (err) {
        throw new GatewayError({ kind: 'invalid_request', code: 'invalid_usage_query', message: (err as Error).message });
      }
      const who = caller.keyId ?? '';
      const running = inFlight.get(who) ?? 0;
      if (running >= perCaller) {
        throw new GatewayError({
          kind: 'rate_limited',
          code: 'usage_queries_in_flight',
          message: `At most ${perCaller} usage queries per API key run at once; try again when one has been answered.`,
          retryAfterMs: DEFAULT_CLIENT_RETRY_AFTER_MS,
        });
      }
      if (total >= max) {
        throw new GatewayError({
          kind: 'unavailable',
          code: 'ledger_busy',
          message: `The gateway is answering as many usage queries as it takes at once (${max}); try again shortly.`,
          retryAfterMs: DEFAULT_CLIENT_RETRY_AFTER_MS,
        });
      }
      total++;
      inFlight.set(who, running + 1);
      try {
        const ownOnly = caller.role !== 'admin';
        const filter = ownOnly ? { key: caller.keyId } : undefined;
        const report = await fromLedger(() => buildReport(store, { ...opts, filter, limit: MAX_USAGE_GROUPS + 1 }), logger, 'usage query failed');
        if (report.rows.length > MAX_USAGE_GROUPS) {
          throw new GatewayError({
            kind: 'invalid_request',
            code: 'invalid_usage_query',
            message: `the answer would hold more than ${MAX_USAGE_GROUPS} groups; group by fewer dimensions or narrow from/to (switchyard report reads any number)`,
          });
        }
        return privateJsonResponse(200, toJson(report));
      } finally {
        total--;
        const left = (inFlight.get(who) ?? 1) - 1;
        if (left > 0) inFlight.set(who, left);
        else inFlight.delete(who);
      }
    },
  };
}
