import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile } from '../../config/load.js';
import { createApp, type App } from '../../app.js';
import { AppHolder } from '../../ops/reload.js';
import { holderGateway, holderServerOptions } from '../../ops/holder-gateway.js';
import { InterruptionWatcher } from '../../ops/interruption/watcher.js';
import { drainGraceMs, reloadOnSighup } from '../../ops/lifecycle.js';
import { startServer } from '../../adapters/node/server.js';
import { createLoggers } from '../logger.js';
import { untilSignal } from '../signals.js';
import type { Command } from '../command.js';

export const serveCommand: Command = {
  name: 'serve',
  usage: 'switchyard serve -c FILE [--port N] [--host H]',
  summary: 'run the gateway from a config file',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { config: { type: 'string', short: 'c' }, port: { type: 'string', short: 'p' }, host: { type: 'string' } },
      allowPositionals: false,
    });
    if (!values.config) {
      io.err(`usage: ${this.usage}`);
      return 2;
    }
    let config;
    try {
      config = loadConfigFile(values.config, io.env);
    } catch (err) {
      if (err instanceof ConfigError) {
        io.err(err.message);
        io.err('refusing to start with an invalid config');
        return 1;
      }
      throw err;
    }
    const { logger, access } = createLoggers(config.logging.level);
    const file = values.config;
    // Admin actions go to whichever app is current, and may reload it (POST /v1/switchyard/reload).
    const admin = { gateway: () => holder.current.gateway, reload: () => holder.reload() };
    const build = (c: typeof config): Promise<App> => createApp(c, { logger, accessLogger: access, admin });
    const app = await build(config);
    // Reloads (SIGHUP, POST /v1/switchyard/reload) swap the app; requests finish on the one they began on.
    const holder: AppHolder<App> = new AppHolder(app, { load: () => loadConfigFile(file, io.env), build, logger, retireAfterMs: config.server.shutdown_grace_ms });
    const port = values.port !== undefined ? Number(values.port) : undefined;
    const server = await startServer(holderGateway(holder), { ...holderServerOptions(holder), port, host: values.host, onClose: () => holder.close() });
    logger.info({ url: server.url, deployments: config.deployments.length }, 'switchyard listening');
    const stopReloads = reloadOnSighup(() => holder.reload(), logger);
    // A spot / preemption notice drains like SIGTERM (readyz 503 at once), but ends before the deadline.
    const watcher = new InterruptionWatcher(config.interruption, {
      logger,
      onNotice: (notice) => server.shutdown(drainGraceMs(notice, config.server.shutdown_grace_ms, Date.now())),
    });
    await watcher.start();
    const ended = await Promise.race([untilSignal(), watcher.handled.then(() => 'interruption' as const)]);
    stopReloads();
    watcher.stop();
    if (ended !== 'interruption') {
      logger.info({ signal: ended, graceMs: config.server.shutdown_grace_ms }, 'shutting down');
      await server.shutdown();
    }
    logger.info({}, 'stopped');
    return 0;
  },
};
