import type { GatewayConfig } from '../config/schema.js';
import { ConfigError } from '../config/load.js';
import { GatewayError, toGatewayError } from '../core/errors.js';
import { ErrorTrace } from '../core/error-trace.js';
import type { Logger } from '../core/logger.js';
import type { Gateway } from '../gateway/gateway.js';
import { MISMATCHES_SHOWN, type KeyMismatch } from '../governance/keys/store.js';
import type { MemoryStateStore } from '../state/memory.js';
import { carryRoutingState } from './carry-over.js';
import { configChanges, type ConfigChanges } from './config-diff.js';

/** What the holder swaps: a gateway and whatever else one config built with it (an App). */
export interface Reloadable {
  readonly gateway: Gateway;
  /** The virtual keys of an App (with `keys.hmac_secret`), checked against the config it was built from. */
  readonly governance?: { readonly keys: { mismatches(limit: number): KeyMismatch[]; readonly mismatchCount: number } | undefined };
  /** Breaker states, cool-downs and drains kept in this process only (an App's `localState`): handed to the next app. */
  readonly localState?: MemoryStateStore | undefined;
  close(): Promise<void>;
}

export interface ReloadOptions<T extends Reloadable> {
  /** Reads and validates the config file again; throws ConfigError for an invalid one. */
  load: () => GatewayConfig;
  /** Builds everything a config describes (createApp). */
  build: (config: GatewayConfig) => Promise<T>;
  /** Names the file version `load` just read (a digest of its text), for the answer; absent where none is kept. */
  version?: () => string | undefined;
  logger: Logger;
  /** The longest an old generation waits for its in-flight requests before it is closed anyway. */
  retireAfterMs: number;
}

/** What a reload did: the new deployments, and sections that only a restart applies. */
export interface ReloadResult {
  reloaded: true;
  deployments: number;
  /** Settings that changed but are read once at start-up (`server`, `logging.level`, `interruption`), by path. */
  restartRequired: string[];
  /**
   * Virtual keys the new config no longer fits (a group, model or residency tag they need is gone):
   * taken, but their requests there are refused. By id, never the secret; the first `MISMATCHES_SHOWN`
   * by id, since a change can strand every key (`keysNotMatchingTotal` counts them all).
   */
  keysNotMatching: KeyMismatch[];
  keysNotMatchingTotal: number;
  /** What differs from the config replaced: sections, and ids and setting paths, values only of a few secret-free settings. */
  changes: ConfigChanges;
  /** The file version applied (`ReloadOptions.version`): the same in every worker that read the same file. */
  version?: string;
  /** Under `serve --workers`: what each worker applied, the one that took the request first. */
  workers?: WorkerReload[];
  /** Under `serve --workers`: set when a worker refused the file, did not confirm in time, or applied another version. */
  partial?: true;
}

/** One worker's part of a reload under `serve --workers`: what its own reload changed, or why it did not reload. */
export type WorkerReload = { worker: number; reloaded: true; version: string | undefined; deployments: number; changes: string } | { worker: number; reloaded: false; error: string };

/**
 * Settings whose changes the running process cannot apply, by their path: the listener was built from
 * `server`, the loggers from `logging.level`, the spot-interruption watcher from `interruption`.
 */
const START_UP_ONLY: ReadonlyArray<readonly [path: string, read: (c: GatewayConfig) => unknown]> = [
  ['server', (c) => c.server],
  ['logging.level', (c) => c.logging.level],
  ['interruption', (c) => c.interruption],
];

/** One config's app and the requests still running on it. */
export interface Generation<T> {
  readonly app: T;
  inFlight: number;
  /** Set when the generation is retired: resolves its wait once the last request leaves. */
  idle: (() => void) | undefined;
}

/**
 * Holds the running app and swaps it on reload. Each request takes the current generation with
 * `enter()` and gives it back with `leave()`, so a request finishes on the config it started with;
 * a replaced generation is closed once its last request has left (or after `retireAfterMs`).
 */
export class AppHolder<T extends Reloadable> {
  private generation: Generation<T>;
  private reloading: Promise<ReloadResult> | undefined;
  /** The one reload queued behind the running one, shared by every call made while it runs. */
  private again: Promise<ReloadResult> | undefined;
  private readonly retiring = new Set<Promise<void>>();
  /** The app that served each answer (its `ServedBy`) or billed each failure (its `Spent`) still referenced: a reload meanwhile must not reprice it. */
  private readonly servers = new WeakMap<object, T>();
  /** The config the process started with: what its start-up-only sections (`START_UP_ONLY`) still run on. */
  private readonly started: GatewayConfig;

  constructor(
    app: T,
    private readonly options: ReloadOptions<T>,
  ) {
    this.generation = { app, inFlight: 0, idle: undefined };
    this.started = app.gateway.config;
  }

  /** The app new requests use (status pages, admin actions); requests use enter/leave. */
  get current(): T {
    return this.generation.app;
  }

  /** Takes the current generation for one request; pass the returned token to `leave`. */
  enter(): Generation<T> {
    const g = this.generation;
    g.inFlight += 1;
    return g;
  }

  /** A request that `enter`ed has finished (answered, streamed out or abandoned). */
  leave(g: Generation<T>): void {
    g.inFlight -= 1;
    if (g.inFlight === 0) g.idle?.();
  }

  /** Notes that `g`'s app gave the answer `servedBy` names (or billed the failure a `Spent` is): its ledger booked it, at its prices. */
  served(servedBy: object, g: Generation<T>): void {
    this.servers.set(servedBy, g.app);
  }

  /** The app that gave the answer `servedBy` names (`served`), the current one for any other. */
  servedBy(servedBy: object | undefined): T {
    return (servedBy && this.servers.get(servedBy)) ?? this.generation.app;
  }

  /**
   * Loads the file again and swaps in a new app built from it. An invalid file (or a build that fails)
   * keeps the running app and throws a GatewayError saying why. A call while a reload runs is answered by
   * one more reload after it (shared by every call meanwhile): the running one may have read the file
   * before the change this call is about, so joining it would leave this process on the older file.
   */
  reload(): Promise<ReloadResult> {
    // The queued one first: between the running one's end and its own start, it is the next reload.
    if (this.again) return this.again;
    if (!this.reloading) return this.run();
    this.again = this.reloading
      .catch(() => undefined)
      .then(() => {
        this.again = undefined;
        return this.run();
      });
    return this.again;
  }

  /** Closes the current app and any generation still retiring (shutdown). */
  async close(): Promise<void> {
    await Promise.all(this.retiring);
    await this.generation.app.close();
  }

  private run(): Promise<ReloadResult> {
    const running: Promise<ReloadResult> = this.swap().finally(() => {
      if (this.reloading === running) this.reloading = undefined;
    });
    this.reloading = running;
    return running;
  }

  private async swap(): Promise<ReloadResult> {
    const { logger } = this.options;
    let config: GatewayConfig;
    let version: string | undefined;
    let next: T;
    try {
      config = this.options.load();
      version = this.options.version?.();
      next = await this.options.build(config);
    } catch (err) {
      const message = err instanceof ConfigError ? err.message : toGatewayError(err).message;
      logger.error({ err: message }, 'config reload refused; the running config stays');
      throw new GatewayError({ kind: 'invalid_request', status: 422, code: 'invalid_config', message: `Config reload refused, the running config stays: ${message}` });
    }
    const old = this.generation;
    // Before the swap: what only describes the reload must never fail one that went through.
    const changes = listedChanges(old.app.gateway.config, config, logger);
    await carryRoutingState(old.app, next);
    carryDrains(old.app.gateway, next.gateway);
    this.generation = { app: next, inFlight: 0, idle: undefined };
    // Against what runs since the start, not the last reload: a file moved back to the port listened on needs no restart.
    const restartRequired = START_UP_ONLY.filter(([, read]) => JSON.stringify(read(this.started)) !== JSON.stringify(read(config))).map(([path]) => path);
    const keys = next.governance?.keys;
    const keysNotMatching = keys?.mismatches(MISMATCHES_SHOWN) ?? [];
    const keysNotMatchingTotal = keys?.mismatchCount ?? 0;
    logger.warn({ deployments: config.deployments.length, restartRequired, keysNotMatching: keysNotMatching.map((k) => k.id), keysNotMatchingTotal, changes, audit: true }, 'config reloaded');
    const retired = this.retire(old).finally(() => this.retiring.delete(retired));
    this.retiring.add(retired);
    return { reloaded: true, deployments: config.deployments.length, restartRequired, keysNotMatching, keysNotMatchingTotal, changes, ...(version !== undefined && { version }) };
  }

  private async retire(g: Generation<T>): Promise<void> {
    if (g.inFlight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        g.idle = resolve;
        timer = setTimeout(resolve, this.options.retireAfterMs);
      });
      clearTimeout(timer);
    }
    await g.app.close().catch((err: unknown) => this.options.logger.warn({ err: toGatewayError(err).message }, 'closing the replaced config failed'));
  }
}

/**
 * An operator's drains survive a reload: those the new app did not already take from its store (a
 * gateway built without one, or a shared store that did not answer in time) are set again.
 */
function carryDrains(from: Gateway, to: Gateway): void {
  const carried = new Map(to.status().deployments.map((d) => [d.id, d.drain.drained]));
  for (const d of from.status().deployments) {
    if (d.drain.drained && carried.get(d.id) === false) to.drain(d.id, { actor: 'reload', reason: d.drain.reason ?? undefined });
  }
}

/** `configChanges`, or, should listing them fail, a summary that says so (logged): the reload itself goes on. */
function listedChanges(before: GatewayConfig, after: GatewayConfig, logger: Logger): ConfigChanges {
  try {
    return configChanges(before, after);
  } catch (err) {
    logger.error({ err: ErrorTrace.of(err) }, 'listing what a config reload changed failed');
    return { summary: 'changes not listed', sections: [], added: [], removed: [], changed: [], more: 0 };
  }
}
