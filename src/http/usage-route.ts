import { DEFAULT_CLIENT_RETRY_AFTER_MS, GatewayError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { LedgerStore } from '../ledger/store/sql-store.js';
import { buildReport } from '../ledger/report/build.js';
import { toJson } from '../ledger/report/formats.js';
import { parseReportOptions, ReportOptionError } from '../ledger/report/options.js';
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

/** The query parameter that sets each report option. */
const QUERY_PARAM: Record<ReportOptionError['option'], string> = { from: 'from', to: 'to', groupBy: 'group_by', format: 'format' };

/** The parameters the route reads; any other, or one given twice, is a 400 rather than a filter silently dropped. */
const PARAMS: ReadonlySet<string> = new Set(Object.values(QUERY_PARAM).filter((p) => p !== 'format'));

/** A typo (`grop_by`) or a repeated parameter (`group_by=key&group_by=team`) would answer another report than the one asked for. */
function checkParams(query: URLSearchParams): void {
  for (const name of new Set(query.keys())) {
    // Named only when it is one of ours: an unknown name is the caller's text and is never echoed.
    if (!PARAMS.has(name)) throw new GatewayError({ kind: 'invalid_request', code: 'invalid_usage_query', message: 'the query names a parameter this route does not take (it takes from, to and group_by)' });
    if (query.getAll(name).length > 1) throw new GatewayError({ kind: 'invalid_request', code: 'invalid_usage_query', param: name, message: `${name}: given more than once; give one value (group_by takes a comma-separated list)` });
  }
}

/** `ledger.usage_queries_per_caller`'s default. */
export const USAGE_QUERIES_PER_CALLER = 2;

/** `ledger.usage_queries_max`'s default. */
export const USAGE_QUERIES_MAX = 8;

/** How many usage queries may run at once (`ledger.usage_queries_per_caller`, `ledger.usage_queries_max`). */
export interface UsageQueryLimits {
  perCaller?: number;
  max?: number;
  /** The queries counted against them: pass the process's, kept across reloads, or each app's route counts its own. */
  counts?: UsageQueryCounts;
}

/**
 * The usage queries running or queued, in all and per caller. One per process, handed to every app it
 * builds (`AppOptions.usageQueries`): a reload's new app counts the old one's queries still running,
 * so the bounds hold across the swap rather than doubling while it lasts.
 */
export class UsageQueryCounts {
  private readonly byCaller = new Map<string, number>();
  private total = 0;

  /** Counts a query of `who`'s, or says which bound it would pass: the caller's own or the process's. */
  enter(who: string, perCaller: number, max: number): 'caller' | 'process' | undefined {
    const running = this.byCaller.get(who) ?? 0;
    if (running >= perCaller) return 'caller';
    if (this.total >= max) return 'process';
    this.total++;
    this.byCaller.set(who, running + 1);
    return undefined;
  }

  /** A query `enter` counted was answered or failed. */
  leave(who: string): void {
    this.total--;
    const left = (this.byCaller.get(who) ?? 1) - 1;
    if (left > 0) this.byCaller.set(who, left);
    else this.byCaller.delete(who);
  }
}

/**
 * GET /v1/switchyard/usage?from=YYYY-MM-DD&to=YYYY-MM-DD&group_by=provider,day — the `report` query as
 * JSON. A caller whose API key is not `role: admin` sees only its own key's usage. A ledger database
 * that cannot be read (down, or past `query_timeout_ms`) is a 503 `ledger_unavailable` (`fromLedger`).
 * An answer holds at most `MAX_USAGE_GROUPS` groups; a wider one is a 400.
 * A caller (its key; every keyless caller is one) with `perCaller` queries still running is refused
 * with 429 `usage_queries_in_flight` and retry-after: a report can take seconds, and one key asking
 * for many at once would queue every other caller's behind its own. With `max` queries running or
 * queued in this process (`limits.counts`), whoever asks, the next is refused before it queues with 503 `ledger_busy`
 * and retry-after (the gateway's load, not this caller's rate): many keys at once would otherwise fill
 * the reader's queue until every report timed out, and the key list waited behind them all. Budget
 * seeding and the key list never pass here, so this bound never refuses them.
 */
export function createUsageRoute(store: LedgerStore | undefined, now: () => number = Date.now, logger: Logger = silentLogger, limits: UsageQueryLimits = {}): Route {
  const perCaller = limits.perCaller ?? USAGE_QUERIES_PER_CALLER;
  const max = limits.max ?? USAGE_QUERIES_MAX;
  const counts = limits.counts ?? new UsageQueryCounts();
  return {
    method: 'GET',
    path: '/v1/switchyard/usage',
    async handle({ query: q, caller }) {
      if (!store) throw new GatewayError({ kind: 'not_found', code: 'ledger_disabled', message: 'The usage ledger is disabled (ledger.enabled: false).' });
      checkParams(q);
      let opts;
      try {
        opts = parseReportOptions({ from: q.get('from') ?? undefined, to: q.get('to') ?? undefined, groupBy: q.get('group_by') ?? undefined, format: 'json' }, now());
      } catch (err) {
        if (!(err instanceof ReportOptionError)) throw err;
        // Named, never quoted: a key pasted into the query string must not come back in the answer.
        const param = QUERY_PARAM[err.option];
        throw new GatewayError({ kind: 'invalid_request', code: 'invalid_usage_query', param, message: `${param}: ${err.unquoted}` });
      }
      const who = caller.keyId ?? '';
      const full = counts.enter(who, perCaller, max);
      if (full === 'caller') {
        throw new GatewayError({
          kind: 'rate_limited',
          code: 'usage_queries_in_flight',
          message: `At most ${perCaller} usage queries per API key run at once; try again when one has been answered.`,
          retryAfterMs: DEFAULT_CLIENT_RETRY_AFTER_MS,
        });
      }
      if (full === 'process') {
        throw new GatewayError({
          kind: 'unavailable',
          code: 'ledger_busy',
          message: `The gateway is answering as many usage queries as it takes at once (${max}); try again shortly.`,
          retryAfterMs: DEFAULT_CLIENT_RETRY_AFTER_MS,
        });
      }
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
        counts.leave(who);
      }
    },
  };
}
