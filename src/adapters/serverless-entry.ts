import { resolve } from 'node:path';
import { createApp, type App } from '../app.js';
import { createLoggers } from '../cli/logger.js';
import { ConfigError, loadConfigFile } from '../config/load.js';
import type { GatewayConfig } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import type { HttpHandler } from '../http/exchange.js';
import { createHttpHandler, defaultErrorResponse } from '../http/handler.js';

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
}

/** What a serverless `main` hands its adapter: `registerX(name, entry.handler, { onSettled: entry.onSettled })`. */
export interface ServerlessEntry {
  /** Builds the app on the first invocation (a failed build is answered 500, logged, and tried again next time). */
  readonly handler: HttpHandler;
  /** Flushes usage: the platform may freeze the instance as soon as the invocation ends. Never rejects. */
  readonly onSettled: () => Promise<void>;
}

interface Built {
  readonly app: App;
  readonly handle: HttpHandler;
}

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
  let pending: Promise<Built> | undefined;

  async function start(): Promise<Built> {
    const path = resolve(options.baseDir ?? process.cwd(), env.SWITCHYARD_CONFIG ?? 'switchyard.yaml');
    const variables = options.secretVariables ? { ...env, ...(await options.secretVariables(env)) } : env;
    const config = loadConfigFile(path, variables);
    refuseEphemeralLedger(config, path);
    const { logger, access } = createLoggers(config.logging.level, logs);
    // The instance's disk dies with it: usage the store could not take goes to the function log too.
    const app = await build(config, { logger, accessLogger: access, copyUnstored: (text) => logs.write(text) });
    return { app, handle: createHttpHandler(app.gateway, app.handlerOptions) };
  }

  const handler: HttpHandler = async (request) => {
    pending ??= start().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    let built: Built;
    try {
      built = await pending;
    } catch (error) {
      createLoggers('error', logs).logger.error({ err: error instanceof Error ? error.message : String(error) }, 'switchyard could not start');
      return defaultErrorResponse(NOT_STARTED, request.path);
    }
    // Other instances' breaker, cool-down and drain states, before this request is routed.
    // A failure is logged once per outage by the sync itself; the request goes on with this instance's states.
    await built.app.gateway.syncState().catch(() => undefined);
    return built.handle(request);
  };

  async function onSettled(): Promise<void> {
    const built = await pending?.catch(() => undefined);
    await built?.app.flush().catch((error: unknown) => built.app.handlerOptions.logger?.error({ err: (error as Error).message }, 'ledger flush failed'));
  }

  return { handler, onSettled };
}

/** An instance's disk dies with the instance: a SQLite ledger there loses usage, so it is refused. */
function refuseEphemeralLedger(config: GatewayConfig, path: string): void {
  if (config.ledger.enabled && config.ledger.store === 'sqlite') {
    throw new ConfigError(path, [
      { path: 'ledger.store', message: 'sqlite keeps usage on the instance\'s ephemeral disk; use "postgres" or "stdout" (or set ledger.enabled: false)' },
    ]);
  }
}
