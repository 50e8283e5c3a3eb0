import { DEFAULT_CLIENT_RETRY_AFTER_MS, GatewayError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { LedgerStore } from '../ledger/store/sql-store.js';
import { buildReport } from '../ledger/report/build.js';
import { toJson } from '../ledger/report/formats.js';
import { parseReportOptions } from '../ledger/report/options.js';
import { fromLedger } from './ledger-query.js';
import { privateJsonResponse } from './respond.js';
import type { Route } from './route.js';

/** `ledger.usage_queries_per_caller`'s default. */
export const USAGE_QUERIES_PER_CALLER = 2;

/**
 * GET /v1/switchyard/usage?from=YYYY-MM-DD&to=YYYY-MM-DD&group_by=provider,day — the `report` query as
 * JSON. A caller whose API key is not `role: admin` sees only its own key's usage. A ledger database
 * that cannot be read (down, or past `query_timeout_ms`) is a 503 `ledger_unavailable` (`fromLedger`).
 * A caller (its key; every keyless caller is one) with `perCaller` queries still running is refused
 * with 429 `usage_queries_in_flight` and retry-after: a report can take seconds, and one key asking
 * for many at once would queue every other caller's behind its own.
 */
export function createUsageRoute(store: LedgerStore | undefined, now: () => number = Date.now, logger: Logger = silentLogger, perCaller = USAGE_QUERIES_PER_CALLER): Route {
  const inFlight = new Map<string, number>();
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
      inFlight.set(who, running + 1);
      try {
        const ownOnly = caller.role !== 'admin';
        const report = await fromLedger(() => buildReport(store, { ...opts, filter: ownOnly ? { key: caller.keyId } : undefined }), logger, 'usage query failed');
        return privateJsonResponse(200, toJson(report));
      } finally {
        const left = (inFlight.get(who) ?? 1) - 1;
        if (left > 0) inFlight.set(who, left);
        else inFlight.delete(who);
      }
    },
  };
}
