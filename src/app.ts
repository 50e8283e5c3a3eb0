import type { GatewayConfig } from './config/schema.js';
import { composeAdmission } from './core/admission.js';
import type { Logger } from './core/logger.js';
import { silentLogger } from './core/logger.js';
import { createGateway, type Gateway } from './gateway/gateway.js';
import { createLedger, type Ledger } from './ledger/index.js';
import { createObservability, type MetricsEndpoint, type Observability } from './observability/index.js';
import type { ServerOptions } from './adapters/node/server.js';
import type { HandlerOptions } from './http/handler.js';
import type { Route } from './http/route.js';
import { statusRoute } from './http/status-route.js';
import { createUsageRoute } from './http/usage-route.js';
import { openRateLimiter } from './limits/open.js';
import type { StateStore } from './state/store.js';
import type { BudgetState } from './ledger/budgets/state.js';
import { attachResponsesStore } from './ingress/openai-responses/store/attach.js';

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
  handlerOptions: HandlerOptions;
  /** The same options for `startServer` / `createHttpServer` (the Node adapter). */
  serverOptions: ServerOptions;
  /** Writes buffered usage events to the store: for runtimes that freeze between requests. */
  flush(): Promise<void>;
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
}

/** Builds the gateway with its ledger (usage, cost, budgets), shared state and feature routes. */
export async function createApp(config: GatewayConfig, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? silentLogger;
  const ledger = await createLedger(config, { logger, budgetState: options.budgetState });
  // ioredis loads only for configs that share state through Redis.
  const ownedStore: StateStore | undefined =
    options.stateStore === undefined && config.state.store === 'redis'
      ? new (await import('./state/redis.js')).RedisStateStore({ url: config.state.redis_url?.reveal(), prefix: config.state.key_prefix })
      : undefined;
  const stateStore = options.stateStore ?? ownedStore;
  const observability = await createObservability(config, { logger, costOf: (r) => ledger.prices.usdOf(r, r.usage) });
  const limits = await openRateLimiter(config, logger);
  const redisUrl = config.state.redis_url?.reveal();
  const responseCache =
    config.cache.store === 'redis' && redisUrl ? new (await import('./cache/redis-store.js')).RedisResponseCache({ url: redisUrl, prefix: config.state.key_prefix }) : undefined;
  const observers = [ledger.observer];
  if (observability.observer) observers.push(observability.observer);
  if (limits) observers.push(limits.limiter);
  const gateway = createGateway(config, {
    logger,
    observers,
    admission: limits ? composeAdmission([ledger.admission, limits.limiter]) : ledger.admission,
    priceOf: (id) => ledger.priceOf(id),
    stateStore,
    responseCache,
  });
  observability.watch(() => gateway.status());
  attachResponsesStore(gateway, ledger.store, logger);
  const routes: Route[] = [statusRoute, createUsageRoute(ledger.store)];
  const handlerOptions: HandlerOptions = { logger, accessLogger: options.accessLogger, routes, costOf: (servedBy, usage) => ledger.costOf(servedBy, usage) };
  return {
    gateway,
    ledger,
    metrics: observability.metrics,
    observability,
    handlerOptions,
    serverOptions: handlerOptions,
    flush: () => ledger.flush(),
    async close() {
      await gateway.close();
      await ledger.close();
      await observability.close();
      await limits?.close();
      await ownedStore?.close();
    },
  };
}
