import type { GatewayConfig } from './config/schema.js';
import { composeAdmission } from './core/admission.js';
import type { Logger } from './core/logger.js';
import { silentLogger } from './core/logger.js';
import { createGateway, type Gateway } from './gateway/gateway.js';
import { createLedger, type Ledger } from './ledger/index.js';
import { openRateLimiter } from './limits/open.js';
import type { Route } from './server/routes.js';
import type { ServerOptions } from './server/server.js';
import { statusRoute } from './server/status-route.js';
import { createUsageRoute } from './server/usage-route.js';
import type { StateStore } from './state/store.js';

/** Everything one config describes, wired together: the composition root of every runtime adapter. */
export interface App {
  gateway: Gateway;
  ledger: Ledger;
  /** Options for startServer / createHttpServer: feature routes and the cost of each answer. */
  serverOptions: ServerOptions;
  /** Closes the gateway's providers, flushes the ledger and disconnects shared state. */
  close(): Promise<void>;
}

export interface AppOptions {
  logger?: Logger;
  /** The per-request access log; defaults to `logger`. */
  accessLogger?: Logger;
}

/** Builds the gateway with its ledger (usage, cost, budgets), shared state and feature routes. */
export async function createApp(config: GatewayConfig, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? silentLogger;
  const ledger = await createLedger(config, { logger });
  // ioredis loads only for configs that share state through Redis.
  const stateStore: StateStore | undefined =
    config.state.store === 'redis'
      ? new (await import('./state/redis.js')).RedisStateStore({ url: config.state.redis_url?.reveal(), prefix: config.state.key_prefix })
      : undefined;
  const limits = await openRateLimiter(config, logger);
  const redisUrl = config.state.redis_url?.reveal();
  const responseCache =
    config.cache.store === 'redis' && redisUrl ? new (await import('./cache/redis-store.js')).RedisResponseCache({ url: redisUrl, prefix: config.state.key_prefix }) : undefined;
  const gateway = createGateway(config, {
    logger,
    observers: limits ? [ledger.observer, limits.limiter] : [ledger.observer],
    admission: limits ? composeAdmission([ledger.admission, limits.limiter]) : ledger.admission,
    priceOf: (id) => ledger.priceOf(id),
    stateStore,
    responseCache,
  });
  const routes: Route[] = [statusRoute, createUsageRoute(ledger.store)];
  return {
    gateway,
    ledger,
    serverOptions: { logger, accessLogger: options.accessLogger, routes, costOf: (servedBy, usage) => ledger.costOf(servedBy, usage) },
    async close() {
      await gateway.close();
      await ledger.close();
      await limits?.close();
      await stateStore?.close();
    },
  };
}
