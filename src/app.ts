import { ConfigError, withheldConfigError } from './config/load.js';
import type { GatewayConfig } from './config/schema.js';
import type { Logger } from './core/logger.js';
import { silentLogger } from './core/logger.js';
import { createGateway, type Gateway, type GatewayOptions, type GatewayStatus } from './gateway/gateway.js';
import { createLedger, type ClusterReads, type Ledger } from './ledger/index.js';
import { journalsCommitted } from './ledger/journal.js';
import type { MetricsEndpoint, Observability } from './observability/index.js';
import { metricsArePublic } from './observability/config.js';
import type { ServerOptions } from './adapters/node/server.js';
import type { HandlerOptions } from './http/handler.js';
import type { Route } from './http/route.js';
import { createStatusRoute } from './http/status-route.js';
import { createUsageRoute, type UsageQueryCounts } from './http/usage-route.js';
import { createBudgetOverrideRoutes, createBudgetsRoute } from './http/budgets-route.js';
import { createAuthenticator } from './http/auth.js';
import { createBrowserGuard } from './http/browser-guard.js';
import type { Governance } from './governance/index.js';
import type { AdminTarget } from './ops/admin.js';
import type { StateStore } from './state/store.js';
import { MemoryStateStore } from './state/memory.js';
import type { BudgetState } from './ledger/budgets/state.js';
import type { RateLimitState } from './limits/state.js';
import type { MemoryConversationStore } from './ingress/openai-responses/store/memory.js';

/** Everything one config describes, wired together: the composition root of every runtime adapter. */
export interface App {
  gateway: Gateway;
  ledger: Ledger;
  /** GET /metrics: undefined when `observability.metrics.enabled` is false. */
  metrics: MetricsEndpoint | undefined;
  /** Per-request server spans (and the in-flight gauge): `startServerSpan(...)` ... `end(status, servedBy)`. */
  observability: Observability;
  /**
   * What the HTTP handler needs besides the gateway: loggers, feature routes and the cost of each
   * answer: `createHttpHandler(app.gateway, app.handlerOptions)` in a serverless adapter.
   */
  handlerOptions: HandlerOptions & Required<Pick<HandlerOptions, 'authenticate' | 'conversations'>>;
  /** The same options for `startServer` / `createHttpServer` (the Node adapter). */
  serverOptions: ServerOptions & Required<Pick<HandlerOptions, 'authenticate' | 'conversations'>>;
  /** Writes buffered usage events to the store: for runtimes that freeze between requests (`timeoutMs`: see Ledger.flush). */
  flush(timeoutMs?: number): Promise<void>;
  /** The audit log and virtual keys (with a SQL ledger store). */
  governance: Governance;
  /**
   * Breaker states, 429 cool-downs and drains of a reloadable app without a shared store, kept in this
   * process: a reload copies them to the next app (`ops/carry-over.ts`); undefined otherwise.
   */
  localState: MemoryStateStore | undefined;
  /** Closes the gateway's providers, flushes the ledger and disconnects shared state. */
  close(): Promise<void>;
}

export interface AppOptions {
  logger?: Logger;
  /** The per-request access log; defaults to `logger`. */
  accessLogger?: Logger;
  /** Shared state to use instead of `state.store`'s (a cluster worker's, held by the primary); left open by `close`. */
  stateStore?: StateStore;
  /** Budget counters to use instead of `budgets.state`'s; left open by `close`. */
  budgetState?: BudgetState;
  /** Rate-limit counters to use instead of `state.store`'s (a worker's, held by the primary; kept across reloads); left open by `close`. */
  rateLimitState?: RateLimitState;
  /** Stored Responses kept in memory (no SQL ledger) across reloads: `serve`'s, which outlives each app. */
  memoryConversations?: MemoryConversationStore;
  /** The usage queries running in this process, kept across reloads so `ledger.usage_queries_max` bounds the process, not each app. */
  usageQueries?: UsageQueryCounts;
  /**
   * What GET /metrics serves instead of this app's own registry: in a `serve --workers` worker, every
   * worker's series combined by the primary, so a scrape reads the same counters whichever worker takes it.
   */
  clusterMetrics?: () => Promise<string>;
  /**
   * What GET /v1/switchyard/status and the dashboard's feed show instead of this app's own status: in a
   * `serve --workers` worker, `own` combined with every other worker's by the primary.
   */
  clusterStatus?: (own: GatewayStatus) => Promise<GatewayStatus>;
  /** After a virtual key is written here: the other workers reload their keys before it is answered (`KeyStoreOptions.written`). */
  keysWritten?: () => Promise<void>;
  /**
   * What the admin routes act on: the process's current gateway and its reload (an AppHolder's, in
   * `serve`). Defaults to this app's gateway, without reloads (the reload route answers 501).
   */
  admin?: AdminTarget;
  /** Why this runtime cannot reload, when `admin` gives no reload: the reload route's 501 says it (see `AdminTarget.noReload`). */
  noReload?: string;
  /** Supplies providers in-process (custom models, tests, the in-process benchmark); the registry's otherwise. */
  createProvider?: GatewayOptions['createProvider'];
  /**
   * The app listens on a network a browser can reach (serve, demo): without API keys it then answers
   * only to localhost, IP addresses and `server.allowed_hosts` (DNS rebinding; src/http/browser-guard.ts).
   */
  listens?: boolean;
  /** Serverless: where usage a flush could not store is copied (the function log; see LedgerOptions). */
  copyUnstored?: (text: string) => void;
  /** A `serve --workers` worker's view of the other workers' reads of a SQLite ledger (see LedgerOptions). */
  walReads?: (path: string) => ClusterReads;
}

/** Builds the gateway with its ledger (usage, cost, budgets), shared state and feature routes. */
export async function createApp(config: GatewayConfig, options: AppOptions = {}): Promise<App> {
  try {
    return await buildApp(config, options);
  } catch (err) {
    // A config problem found while building reaches serve's log, a reload's answer and a function's
    // log: a secret a variable also put into a field that is not secret is quoted by its reference.
    throw err instanceof ConfigError ? withheldConfigError(config, err) : err;
  }
}

async function buildApp(config: GatewayConfig, options: AppOptions): Promise<App> {
  const logger = options.logger ?? silentLogger;
  const { createObservability, createGovernance, openRateLimiter, composeAdmission, openConversations, createAdminRoutes, createDashboardRoutes, metricsRoute } =
    await loadAppFeatures();
  // Built before the ledger, whose soft-limit notices it counts; it prices attempts only once requests flow.
  const observability = await createObservability(config, { logger, costOf: (r) => ledger.prices.usdOf(r, r.usage) });
  // Virtual keys' budgets: the key store is built on the ledger's database, so it is looked up late.
  const keyBudgets = config.keys.hmac_secret ? (keyId: string) => governance.keys?.budgetLimits(keyId) : undefined;
  const ledger = await createLedger(config, { logger, budgetState: options.budgetState, onSoftLimit: (notice) => observability.softLimitReached(notice), keyBudgets, copyUnstored: options.copyUnstored, walReads: options.walReads });
  observability.watchLedger(() => ledger.stats());
  observability.watchBudgets(() => ledger.budgetSpending());
  const governance = await createGovernance(config, ledger.store, logger, options.keysWritten).catch(async (err: unknown) => {
    await ledger.close();
    throw err;
  });
  // ioredis loads only for configs that share state through Redis.
  const ownedStore: StateStore | undefined =
    options.stateStore === undefined && config.state.store === 'redis'
      ? new (await import('./state/redis.js')).RedisStateStore({ url: config.state.redis_url?.reveal(), cluster: config.state.redis_mode === 'cluster', prefix: config.state.key_prefix, logger })
      : undefined;
  // A reload must not forget an open breaker (`ops/carry-over.ts`): without a shared store, a reloadable app keeps its own.
  const localState = options.stateStore === undefined && ownedStore === undefined && options.admin?.reload ? new MemoryStateStore() : undefined;
  const stateStore = options.stateStore ?? ownedStore ?? localState;
  const limits = await openRateLimiter(config, logger, Date.now, options.rateLimitState, governance.keys?.rateLimitRules);
  const redisUrl = config.state.redis_url?.reveal();
  const responseCache =
    config.cache.store === 'redis' && redisUrl
      ? new (await import('./cache/redis-store.js')).RedisResponseCache({ url: redisUrl, cluster: config.state.redis_mode === 'cluster', prefix: config.state.key_prefix, maxEntryBytes: config.cache.max_entry_bytes })
      : undefined;
  const observers = [ledger.observer];
  if (observability.observer) observers.push(observability.observer);
  if (limits) observers.push(limits.limiter);
  const gateway = createGateway(config, {
    logger,
    observers,
    tracing: observability.tracing,
    admission: limits ? composeAdmission([ledger.admission, limits.limiter]) : ledger.admission,
    priceOf: (id) => ledger.priceOf(id),
    stateStore,
    responseCache,
    createProvider: options.createProvider,
  });
  observability.watch(() => gateway.status());
  const conversations = openConversations(config.responses.store, ledger.store, logger, options.memoryConversations);
  const admin = options.admin ?? { gateway: () => gateway, noReload: options.noReload };
  const { clusterStatus } = options;
  const liveStatus = { status: clusterStatus ? () => clusterStatus(gateway.status()) : () => gateway.status() };
  const routes: Route[] = [
    createStatusRoute(clusterStatus),
    createUsageRoute(ledger.store, Date.now, logger, { perCaller: config.ledger.usage_queries_per_caller, max: config.ledger.usage_queries_max, counts: options.usageQueries }),
    createBudgetsRoute(ledger.budgets, logger),
    ...createAdminRoutes(admin, { audit: governance.audit, logger }),
    // Admin only; kept in the budget state, so a reload's next app (or another replica) enforces them too.
    ...createBudgetOverrideRoutes({ guard: () => ledger.budgets, audit: () => (admin.audit ? admin.audit() : governance.audit), logger }),
    ...governance.routes,
    ...createDashboardRoutes({ gateway: liveStatus, ledger }, config.dashboard),
  ];
  const metrics = observability.metrics;
  if (metrics) routes.push(metricsRoute(options.clusterMetrics ? { render: options.clusterMetrics, contentType: metrics.contentType } : metrics, metricsArePublic(config)));
  const handlerOptions: App['handlerOptions'] = {
    logger,
    accessLogger: options.accessLogger,
    routes,
    costOf: (servedBy, usage) => ledger.costOf(servedBy, usage),
    conversations: () => conversations,
    authenticate: createAuthenticator(config, governance.keys),
    startSpan: observability.metrics || observability.observer ? (start) => observability.startServerSpan(start) : undefined,
    onError: governance.onError,
    beforeAnswer: journalsCommitted,
    browserGuard: createBrowserGuard({
      allowedOrigins: config.server.allowed_origins,
      openHosts: options.listens === true && config.api_keys.length === 0 && !governance.keys ? config.server.allowed_hosts : undefined,
    }),
  };
  return {
    gateway,
    ledger,
    metrics: observability.metrics,
    observability,
    handlerOptions,
    serverOptions: handlerOptions,
    governance,
    localState,
    flush: (timeoutMs) => ledger.flush(timeoutMs),
    async close() {
      governance.close();
      await gateway.close();
      // Saves and reads of requests this app took, even after a reload retired it, end before its database.
      await conversations?.settled();
      await ledger.close();
      await observability.close();
      await limits?.close();
      await ownedStore?.close();
      await localState?.close();
    },
  };
}

/**
 * What only an app uses (prom-client's metrics, governance, the dashboard, admin routes, rate limits,
 * the Responses store), imported when an app is built: `import('switchyard')` for `createGateway`
 * alone never pays for them (~35 ms of a cold start).
 */
async function loadAppFeatures() {
  const [observability, governance, limits, admission, responses, admin, dashboard, metrics] = await Promise.all([
    import('./observability/index.js'),
    import('./governance/index.js'),
    import('./limits/open.js'),
    import('./core/admission.js'),
    import('./ingress/openai-responses/store/open.js'),
    import('./ops/admin-routes.js'),
    import('./dashboard/routes.js'),
    import('./http/metrics-route.js'),
  ]);
  return {
    createObservability: observability.createObservability,
    createGovernance: governance.createGovernance,
    openRateLimiter: limits.openRateLimiter,
    composeAdmission: admission.composeAdmission,
    openConversations: responses.openConversations,
    createAdminRoutes: admin.createAdminRoutes,
    createDashboardRoutes: dashboard.createDashboardRoutes,
    metricsRoute: metrics.metricsRoute,
  };
}
