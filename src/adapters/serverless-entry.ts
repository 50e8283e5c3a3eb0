import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createApp, type App } from '../app.js';
import { createLoggers } from '../cli/logger.js';
import { ConfigError, loadConfigTree } from '../config/load.js';
import type { GatewayConfig } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import { isObject } from '../core/json.js';
import type { HttpHandler } from '../http/exchange.js';
import { createHttpHandler, defaultErrorResponse, unconfiguredErrorResponse } from '../http/handler.js';
import { boundStreamMax } from './stream-limit.js';
import { errorMessage } from '../core/error-trace.js';

export interface ServerlessEntryOptions {
  /** Where `SWITCHYARD_CONFIG` is read and `${VAR}` references resolve; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** What a relative `SWITCHYARD_CONFIG` is resolved against; default the working directory. */
  readonly baseDir?: string;
  /** Log lines (JSON); default stdout, which every platform ships to its log service. */
  readonly logs?: NodeJS.WritableStream;
  /** Builds the app from the config; default `createApp`. */
  readonly createApp?: typeof createApp;
  /**
   * Variables from a secret store, read before the config at every build and laid over `env` for its
   * `${VAR}` references (a secret wins over an environment variable of the same name); default none.
   */
  readonly secretVariables?: (env: Readonly<Record<string, string | undefined>>) => Promise<Readonly<Record<string, string>>>;
  /**
   * How often a warm instance reads `secretVariables` again, after an invocation's answer (in
   * `onSettled`, when the invocation has `SECRETS_REFRESH_LIMIT_MS` left): when they changed (a rotation),
   * the app is built again with them and the old one closed. Default `SWITCHYARD_SECRETS_REFRESH_SECONDS`
   * (3600); 0 never reads again.
   */
  readonly secretsRefreshMs?: number;
  /** The clock of the refresh; default `Date.now`. */
  readonly now?: () => number;
  /**
   * The longest the platform lets one invocation run, asked at each build (on an invocation): streams
   * are bounded under it (`boundStreamMax`), whatever `routing.stream_max_ms` says. Default: no bound.
   */
  readonly invocationMs?: () => number | undefined;
  /**
   * Where the ledger's journal (`ledger-journal/`) and spill file (`ledger-spill.jsonl`) go when the
   * config names no `ledger.journal_dir` or `ledger.spill_path`: their defaults are under the working
   * directory, which every serverless platform mounts read-only. Default `<os.tmpdir()>/switchyard`
   * (`/tmp/switchyard`), the one place each lets the process write.
   */
  readonly localDir?: string;
  /**
   * The PostgreSQL connections each instance opens when the config sets no `ledger.pool_size`: every
   * instance holds its own pool, frozen ones too. Default 1 (Lambda: one request per instance); a
   * platform whose instance serves many at once (Cloud Functions' concurrency, Azure Functions) passes
   * 2, so a ledger flush and a query (a usage report, a stored response) need not queue behind each other.
   */
  readonly poolSize?: number;
}

/** What a serverless `main` hands its adapter: `registerX(name, entry.handler, { onSettled: entry.onSettled })`. */
export interface ServerlessEntry {
  /** Builds the app on the first invocation (a failed build is answered 500, logged, and tried again next time). */
  readonly handler: HttpHandler;
  /**
   * Flushes usage: the platform may freeze the instance as soon as the invocation ends. Waits at most
   * `FLUSH_LIMIT_MS` for the store, less when the invocation has less left (`remainingMs`, Lambda's),
   * then copies what it could not store to the function log. Never rejects.
   */
  readonly onSettled: (remainingMs?: number) => Promise<void>;
  /**
   * The `server.base_path` of the config read last (undefined before one was read, or without one): the
   * adapter's own error answers take it off before picking the front door's shape, as the handler does.
   */
  readonly basePath: () => string | undefined;
}

interface Built {
  readonly app: App;
  readonly handle: HttpHandler;
  /** The secret variables it was built with, and when they were read (or last tried). */
  readonly secrets: Readonly<Record<string, string>>;
  secretsReadAt: number;
}

/** A function's instances each read the config once, on their cold start: a new config is a new deployment. */
export const SERVERLESS_NO_RELOAD = 'A serverless function cannot reload its config: redeploy the function with the new config.';

const NOT_STARTED = new GatewayError({ kind: 'internal', message: 'The gateway could not start; the function log says why.' });

/**
 * The one entry the Lambda, Cloud Functions and Azure Functions mains share: the config file named by
 * `SWITCHYARD_CONFIG` (default `switchyard.yaml`), read and built on first use rather than at import,
 * so a cold start pays only for what the config uses.
 */
export function createServerlessEntry(options: ServerlessEntryOptions = {}): ServerlessEntry {
  const env = options.env ?? process.env;
  const logs = options.logs ?? process.stdout;
  const build = options.createApp ?? createApp;
  const now = options.now ?? Date.now;
  // Read with the config, so a bad value fails the build (logged, answered 500), not the import.
  let refreshMs = 0;
  let pending: Promise<Built> | undefined;
  // The config read last, kept apart from the app: a build can fail after its config was read.
  let loaded: GatewayConfig | undefined;

  const readSecrets = async (): Promise<Readonly<Record<string, string>>> => (options.secretVariables ? options.secretVariables(env) : {});

  async function start(secrets: Readonly<Record<string, string>>, readAt: number): Promise<Built> {
    const path = resolve(options.baseDir ?? process.cwd(), env.SWITCHYARD_CONFIG ?? 'switchyard.yaml');
    refreshMs = options.secretsRefreshMs ?? refreshFromEnv(env);
    const { tree, config } = loadConfigTree(path, options.secretVariables ? { ...env, ...secrets } : env);
    loaded = config;
    refuseEphemeralLedger(config, path);
    refuseOpenFunction(config, path);
    keepLedgerFilesLocal(config, tree, options.localDir ?? join(tmpdir(), 'switchyard'));
    // Each instance holds its own pool, frozen ones too: a thousand instances of four connections would
    // pass most databases' max_connections.
    config.ledger.pool_size ??= options.poolSize ?? 1;
    const { logger, access } = createLoggers(config.logging.level, logs);
    const invocationMs = options.invocationMs?.();
    if (invocationMs !== undefined) {
      // The config was parsed for this build alone: lowering its limit in place touches nothing else.
      const { streamMaxMs, warning } = boundStreamMax(config.routing, invocationMs);
      config.routing.stream_max_ms = streamMaxMs;
      if (warning !== undefined) logger.warn({ setting: 'routing.stream_max_ms' }, warning);
    }
    // The instance's disk dies with it: usage the store could not take goes to the function log too.
    const app = await build(config, { logger, accessLogger: access, copyUnstored: (text) => logs.write(text), noReload: SERVERLESS_NO_RELOAD });
    return { app, handle: createHttpHandler(app.gateway, app.handlerOptions), secrets, secretsReadAt: readAt };
  }

  const handler: HttpHandler = async (request) => {
    pending ??= (async () => start(await readSecrets(), now()))().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    let built: Built;
    try {
      built = await pending;
    } catch (error) {
      createLoggers('error', logs).logger.error({ err: errorMessage(error) }, 'switchyard could not start');
      // A config that could not be read leaves its base path unknown: any prefix before a door's path is taken for it.
      return loaded === undefined ? unconfiguredErrorResponse(NOT_STARTED, request.path) : defaultErrorResponse(NOT_STARTED, request.path, loaded.server.base_path);
    }
    // Other instances' breaker, cool-down and drain states, before this request is routed.
    // A failure is logged once per outage by the sync itself; the request goes on with this instance's states.
    await built.app.gateway.syncState().catch(() => undefined);
    return built.handle(request);
  };

  /**
   * Reads the secret variables again once `refreshMs` has passed since the last read; a rotation builds
   * the app again with them and closes the old one (after the answer: nothing of it is in flight). A
   * failed read or build, or one still running after `SECRETS_REFRESH_LIMIT_MS`, keeps the app that runs
   * and is tried again after another `refreshMs`; what the late one reads or builds is discarded.
   */
  async function refreshSecrets(built: Built): Promise<void> {
    if (!options.secretVariables || refreshMs <= 0 || now() - built.secretsReadAt < refreshMs) return;
    built.secretsReadAt = now();
    const log = built.app.handlerOptions.logger;
    let late = false;
    const attempt = (async () => {
      const secrets = await readSecrets();
      if (late || sameVariables(secrets, built.secrets)) return;
      const next = await start(secrets, built.secretsReadAt);
      if (late) {
        await next.app.close();
        return;
      }
      pending = Promise.resolve(next);
      log?.info({}, 'secret variables changed: the gateway was built again with them');
      await built.app.close();
    })().catch((error: unknown) => log?.error({ err: errorMessage(error) }, 'secret refresh failed: keeping the values read before'));
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'late'>((resolve) => (timer = setTimeout(resolve, SECRETS_REFRESH_LIMIT_MS, 'late')));
    if ((await Promise.race([attempt, expired])) === 'late') {
      late = true;
      log?.error({ limitMs: SECRETS_REFRESH_LIMIT_MS }, 'secret refresh took too long: keeping the values read before');
    }
    clearTimeout(timer);
  }

  async function onSettled(remainingMs?: number): Promise<void> {
    const settling = now();
    const built = await pending?.catch(() => undefined);
    if (!built) return;
    // A store that hangs must not hold the invocation past its deadline: after the bound the events are copied to the log.
    const flushMs = Math.max(0, Math.min(FLUSH_LIMIT_MS, (remainingMs ?? Infinity) - RETURN_RESERVE_MS));
    await built.app.flush(flushMs).catch((error: unknown) => built.app.handlerOptions.logger?.error({ err: errorMessage(error) }, 'ledger flush failed'));
    // Near the deadline the refresh waits for a later invocation: past it the client of a buffered front
    // door, whose answer waits for onSettled, would get the platform's bare 502.
    const left = remainingMs === undefined ? Infinity : remainingMs - (now() - settling);
    if (left >= SECRETS_REFRESH_LIMIT_MS + RETURN_RESERVE_MS) await refreshSecrets(built);
  }

  return { handler, onSettled, basePath: () => loaded?.server.base_path };
}

const DEFAULT_REFRESH_SECONDS = 3_600;

/** The longest a secrets refresh may hold an invocation: Secrets Manager's 10 s timeout, then a build. */
export const SECRETS_REFRESH_LIMIT_MS = 12_000;

/**
 * The longest onSettled waits for the ledger's flush: PostgreSQL's 5 s connect timeout, then an insert.
 * Past it the store counts as down and the events go to the function log.
 */
export const FLUSH_LIMIT_MS = 6_000;

/** Left after onSettled's work for the invocation to copy the events and return its answer. */
const RETURN_RESERVE_MS = 1_000;

function refreshFromEnv(env: Readonly<Record<string, string | undefined>>): number {
  const text = env.SWITCHYARD_SECRETS_REFRESH_SECONDS;
  const seconds = text === undefined || text.trim() === '' ? DEFAULT_REFRESH_SECONDS : Number(text);
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`SWITCHYARD_SECRETS_REFRESH_SECONDS must be a number of seconds (0 or more), got "${text}"`);
  return seconds * 1_000;
}

function sameVariables(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => b[k] === a[k]);
}

/**
 * Points the ledger's journal and spill file the config leaves at their defaults (under the working
 * directory) into `dir`; a path the config names, even the default written out, is kept. The config
 * was parsed for this build alone: changing it in place touches nothing else.
 */
function keepLedgerFilesLocal(config: GatewayConfig, tree: unknown, dir: string): void {
  const named = isObject(tree) && isObject(tree.ledger) ? tree.ledger : {};
  if (named.journal_dir === undefined) config.ledger.journal_dir = join(dir, 'ledger-journal');
  if (named.spill_path === undefined) config.ledger.spill_path = join(dir, 'ledger-spill.jsonl');
}

/**
 * A function answers whoever reaches its URL: with no keys every caller would be the anonymous admin
 * (model calls on the operator's credentials, drains, the config), which `serve` allows on loopback only.
 */
function refuseOpenFunction(config: GatewayConfig, path: string): void {
  if (config.api_keys.length > 0 || config.keys.hmac_secret !== undefined || config.server.allow_unauthenticated) return;
  throw new ConfigError(path, [
    {
      path: 'api_keys',
      message:
        'a function answers whoever reaches its URL, and with no api_keys and no virtual keys every caller would be an admin (model calls on your credentials, drains, the config): add api_keys, or set server.allow_unauthenticated: true if the platform authenticates every caller (a function URL with IAM auth, Azure Functions keys, Cloud Run IAM)',
    },
  ]);
}

/** An instance's disk dies with the instance: a SQLite ledger there loses usage, so it is refused. */
function refuseEphemeralLedger(config: GatewayConfig, path: string): void {
  if (config.ledger.enabled && config.ledger.store === 'sqlite') {
    throw new ConfigError(path, [
      { path: 'ledger.store', message: 'sqlite keeps usage on the instance\'s ephemeral disk; use "postgres" or "stdout" (or set ledger.enabled: false)' },
    ]);
  }
}
