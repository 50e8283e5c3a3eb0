import { stringify } from 'yaml';
import { parseConfig } from '../config/load.js';
import { createGateway, type Gateway } from '../gateway/gateway.js';
import { startServer, type RunningServer } from '../server/server.js';
import type { Logger } from '../core/logger.js';
import type { SimServer } from '../sim/server.js';
import { DEMO_UPSTREAMS } from './demo-upstreams.js';

export interface Demo {
  server: RunningServer;
  gateway: Gateway;
  sims: SimServer[];
  /** The YAML config the demo runs on, to show users what a config looks like. */
  configYaml: string;
  close(): Promise<void>;
}

/** Starts every demo simulator and a gateway in front of them. */
export async function startDemo(options: { port?: number; host?: string; logger?: Logger } = {}): Promise<Demo> {
  const upstreams = await Promise.all(DEMO_UPSTREAMS.map((start) => start()));
  const deployments = upstreams.flatMap((u) => u.deployments);
  const chatDeployments = deployments.filter((d) => !String(d.model).includes('embed')).map((d) => d.id as string);
  const raw = {
    server: { host: options.host ?? '127.0.0.1', port: options.port ?? 4000 },
    logging: { level: 'info' },
    deployments,
    groups: [
      { name: 'chat', aliases: ['gpt-4o-mini', 'default'], strategy: 'priority', deployments: chatDeployments },
      { name: 'balanced', strategy: 'round-robin', deployments: chatDeployments },
      ...upstreams.flatMap((u) => u.groups),
    ],
    default_group: 'chat',
  };
  const parsed = parseConfig(raw, {});
  const sims = upstreams.map((u) => u.sim);
  if (!parsed.ok) {
    await Promise.all(sims.map((s) => s.close()));
    throw new Error(`demo config is invalid: ${parsed.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  }
  const gateway = createGateway(parsed.config, { logger: options.logger });
  let server: RunningServer;
  try {
    server = await startServer(gateway, { logger: options.logger });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || options.port !== undefined) throw err;
    server = await startServer(gateway, { logger: options.logger, port: 0 });
  }
  return {
    server,
    gateway,
    sims,
    configYaml: stringify(raw),
    async close() {
      await server.shutdown(1_000);
      await Promise.all(sims.map((s) => s.close()));
    },
  };
}
