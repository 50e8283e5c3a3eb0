import type { AdmissionControl, AttemptObserver, AttemptRecord } from '../core/events.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { Usage } from '../core/types.js';
import type { GatewayConfig } from '../config/schema.js';
import { LedgerBatcher, type BatcherStats } from './batcher.js';
import { Journal } from './journal.js';
import { BudgetGuard, reservedCompletion, type BudgetSpend, type SoftLimitNotice } from './budgets/guard.js';
import { openBudgetState } from './budgets/open-state.js';
import { ledgerSpend } from './budgets/seed.js';
import type { BudgetState } from './budgets/state.js';
import type { BudgetConfig } from './config.js';
import { toUsageEvent, type UsageEvent } from './event.js';
import { PriceBook, type CostResult, type PriceKey } from './pricing/price-book.js';
import { openStore } from './store/open.js';
import { ensureFolderOf, openingLocalPath } from './local-paths.js';
import type { LedgerStore } from './store/sql-store.js';
import type { ClusterReads } from './store/wal-gate.js';
import { errorMessage } from '../core/error-trace.js';

export type { CostResult, PriceKey } from './pricing/price-book.js';
export type { UsageEvent } from './event.js';
export type { LedgerStore } from './store/sql-store.js';
export type { UsageQuery, UsageRow, Dimension } from './store/query.js';
export type { SoftLimitNotice } from './budgets/guard.js';
export type { BudgetState, CounterRef } from './budgets/state.js';
export type { ClusterReads } from './store/wal-gate.js';
export { MemoryBudgetState } from './budgets/state.js';

export interface LedgerOptions {
  logger?: Logger;
  now?: () => number;
  /**
   * Budget counters to use instead of the configured `budgets.state` (left open by `close`). Either
   * way each counter is seeded from the ledger the first time it is used.
   */
  budgetState?: BudgetState;
  /** Called once per budget counter and period when a soft limit is crossed. */
  onSoftLimit?: (notice: SoftLimitNotice) => void;
  /** A store to use instead of the configured one (tests, embedding). */
  store?: LedgerStore;
  /** Virtual keys' own budgets by key id (the KeyStore's map lookup); budgets are enforced when it is given. */
  keyBudgets?: (keyId: string) => readonly BudgetConfig[] | undefined;
  /** Serverless: where a flush the store failed copies the events it could not write (see BatcherOptions). */
  copyUnstored?: (text: string) => void;
  /** Under `serve --workers`: the other workers' reads of the SQLite file, for its WAL gate (`SqliteOptions.walReads`). */
  walReads?: (path: string) => ClusterReads;
}

/** Usage ledger, pricing and budgets, built from the gateway config. */
export interface Ledger {
  /** Pass to createGateway({ observers: [ledger.observer] }). */
  readonly observer: AttemptObserver;
  /** Pass to createGateway({ admission: ledger.admission }); admits everything when no budget is set. */
  readonly admission: AdmissionControl;
  /** The budget guard behind `admission`, read by the budgets route; undefined when no budget is set. */
  readonly budgets: BudgetGuard | undefined;
  /** Cost of an answer: `usd` undefined and `priced` false when the model has no known price. */
  costOf(servedBy: PriceKey, usage: Usage | undefined): CostResult;
  /**
   * A deployment's blended price, USD per million tokens at 3 input : 1 output, for cost-optimised
   * routing: createGateway({ priceOf: ledger.priceOf }). Undefined when the model is unpriced.
   */
  priceOf(deploymentId: string): number | undefined;
  readonly prices: PriceBook;
  /** Undefined when `ledger.enabled` is false. */
  readonly store: LedgerStore | undefined;
  /** Writes buffered events now; with `timeoutMs`, rejects once that passed (see LedgerBatcher.flush). */
  flush(timeoutMs?: number): Promise<void>;
  stats(): BatcherStats | undefined;
  /** Each configured budget's spend and limit this period (the metrics read it at scrape time); none without budgets. */
  budgetSpending(): Promise<readonly BudgetSpend[]>;
  /** Flushes (spilling to file whatever the database cannot take) and closes the store. */
  close(): Promise<void>;
}

/**
 * Opens the ledger store and budget state and returns the gateway hooks. Resolves even while
 * PostgreSQL is unreachable: events buffer (and spill) and migrations run once it is back.
 */
export async function createLedger(config: GatewayConfig, options: LedgerOptions = {}): Promise<Ledger> {
  const logger = (options.logger ?? silentLogger).child({ component: 'ledger' });
  const now = options.now ?? Date.now;
  const prices = PriceBook.fromConfig(config.pricing, config.deployments);
  const deployments: ReadonlyMap<string, PriceKey> = new Map(config.deployments.map((d) => [d.id, { deployment: d.id, provider: d.provider, model: d.model, region: d.region }]));
  const lc = config.ledger;
  const unpricedWarned = new Set<string>();
  const priceOf = (record: AttemptRecord): number | undefined => {
    const usd = prices.usdOf(record, record.usage);
    if (usd === undefined && !unpricedWarned.has(record.deployment)) {
      unpricedWarned.add(record.deployment);
      logger.warn({ deployment: record.deployment, provider: record.provider, model: record.model }, 'no price known for this model: its usage is recorded as unpriced');
    }
    return usd;
  };
  const toEvent = (record: AttemptRecord): UsageEvent => {
    const usd = priceOf(record);
    return toUsageEvent(record, { usd, priced: usd !== undefined });
  };
  const opening = (): Promise<LedgerStore> => openStore(lc, logger, options.walReads);
  const store = options.store ?? (lc.enabled ? await (lc.store === 'sqlite' ? openingLocalPath('ledger.path', lc.path, opening) : opening()) : undefined);
  const journal =
    store && lc.journal
      ? openingLocalPath('ledger.journal_dir', lc.journal_dir, () => new Journal(lc.journal_dir, (err) => logger.error({ err: errorMessage(err), dir: lc.journal_dir }, 'ledger journal write failed; these events are kept for the store in memory only')))
      : undefined;
  // The spill file's folder, for a store of its own that can be down (not on serverless, where the instance's disk dies with it).
  if (store && options.store === undefined && lc.store !== 'stdout' && !options.copyUnstored) ensureFolderOf('ledger.spill_path', lc.spill_path);
  const batcher = store
    ? new LedgerBatcher({ store, logger, batchSize: lc.batch_size, flushIntervalMs: lc.flush_interval_ms, maxBuffer: lc.max_buffer, spillPath: lc.spill_path, retryIntervalMs: lc.retry_interval_ms, now, toEvent, journal, copyUnstored: options.copyUnstored })
    : undefined;
  // A spill file or journal left by an earlier run is replayed right away; budgets are seeded from the
  // ledger only after it, or spend the last run could not store would be missing from their counters.
  // With workers sharing the journal folder, also after the replay another one claimed.
  const replayed = batcher ? batcher.flush().then(() => journal?.othersReplayed(), () => journal?.othersReplayed()).catch(() => undefined) : Promise.resolve();

  const hasBudgets = config.budgets.limits.length > 0 || options.keyBudgets !== undefined;
  const ownedState = hasBudgets && !options.budgetState ? await openBudgetState(config, logger, now) : undefined;
  const state = options.budgetState ?? ownedState;
  const guard = hasBudgets && state ? budgetGuard(config, options, { state, store, prices, deployments, logger, now, replayed }) : undefined;
  guard?.recallCounters().catch((err: unknown) => logger.warn({ err: errorMessage(err) }, 'budget counters could not be listed; their spend gauges appear once a request counts on them'));

  // O(1) and allocation-free without budgets or journal: the record itself is queued and priced when written.
  const observer: AttemptObserver = {
    onAttempt(record) {
      // A cache hit cost nothing: budgets are not charged for it.
      if (guard && record.cacheHit !== true) guard.settle(record, priceOf(record));
      if (!batcher) {
        if (!guard) priceOf(record); // still warns once about an unpriced model
      } else if (record.error) {
        // A part no upstream was asked for (a dialect's refusal) is no usage: the request is answered, or
        // goes on to another deployment, without a row.
        // Built now: a queued record would keep the error (and what it references) alive until written.
        if (!record.error.unsent) batcher.enqueue(toEvent(record));
      } else batcher.enqueue(record);
    },
  };

  return {
    observer,
    admission: guard ?? { admit: () => ({ release: () => undefined }) },
    budgets: guard,
    budgetSpending: async () => (guard ? guard.spending() : []),
    costOf: (servedBy, usage) => prices.costOf(servedBy, usage),
    priceOf: (id) => {
      const key = deployments.get(id);
      const p = key ? prices.lookup(key) : undefined;
      return p ? (3 * p.input + p.output) / 4 : undefined;
    },
    prices,
    store,
    flush: async (timeoutMs) => batcher?.flush(timeoutMs),
    stats: () => batcher?.stats(),
    async close() {
      await batcher?.close();
      if (!options.store) await store?.close();
      await ownedState?.close();
    },
  };
}

interface GuardParts {
  state: BudgetState;
  store: LedgerStore | undefined;
  prices: PriceBook;
  /** Each deployment's price key by id. */
  deployments: ReadonlyMap<string, PriceKey>;
  logger: Logger;
  now: () => number;
  /** Settles once the start's replay of spill files and journals has run. */
  replayed: Promise<void>;
}

/** The budget guard: counters seeded from the ledger, a request's worst-case cost over its candidates. */
function budgetGuard(config: GatewayConfig, options: LedgerOptions, parts: GuardParts): BudgetGuard {
  const { state, store, prices, deployments, logger, now, replayed } = parts;
  const maxOutput = new Map(config.deployments.flatMap((d) => (d.max_output_tokens === undefined ? [] : [[d.id, d.max_output_tokens] as const])));
  const guard: BudgetGuard = new BudgetGuard({
    config: config.budgets,
    state,
    logger,
    now,
    onSoftLimit: options.onSoftLimit,
    seedRetryMs: config.ledger.retry_interval_ms,
    keyBudgets: options.keyBudgets,
    // A JSON-lines sink cannot be queried: counters start from zero (documented for serverless).
    loadSpend: store && store.dialect !== 'jsonl'
      ? (ref, since) => {
          const budget = guard.budgetOf(ref);
          return budget ? replayed.then(() => ledgerSpend(store, budget, ref.value, ref.periodStart, since)) : Promise.resolve(0);
        }
      : undefined,
    estimate: (request, defaultCompletion) => {
      let max = 0;
      for (const id of request.candidates) {
        const key = deployments.get(id);
        const completion = reservedCompletion(request.maxCompletionTokens, maxOutput.get(id), defaultCompletion);
        const cost = key ? prices.maxCost(key, request.estimatedPromptTokens, completion, request.promptCacheTtl) : undefined;
        if (cost !== undefined && cost > max) max = cost;
      }
      return max;
    },
  });
  return guard;
}
