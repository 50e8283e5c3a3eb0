import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile } from '../../config/load.js';
import { createApp } from '../../app.js';
import { startServer } from '../../server/server.js';
import { createLoggers } from '../logger.js';
import { untilSignal } from '../signals.js';
import { reportEventLoopDelayOnSignal } from '../event-loop-delay.js';
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
    const app = await createApp(config, { logger, accessLogger: access });
    const port = values.port !== undefined ? Number(values.port) : undefined;
    const server = await startServer(app.gateway, { ...app.serverOptions, port, host: values.host, onClose: () => app.close() });
    logger.info({ url: server.url, deployments: config.deployments.length }, 'switchyard listening');
    const stopEld = io.env.SWITCHYARD_BENCH_ELD === '1' ? reportEventLoopDelayOnSignal(io.out) : undefined;
    const signal = await untilSignal();
    stopEld?.();
    logger.info({ signal, graceMs: config.server.shutdown_grace_ms }, 'shutting down');
    await server.shutdown();
    logger.info({}, 'stopped');
    return 0;
  },
};
