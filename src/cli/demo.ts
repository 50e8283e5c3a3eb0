import { stringify } from 'yaml';
import { ConfigError, DEMO_CONFIG_KEY, parseConfig } from '../config/load.js';
import type { Gateway } from '../gateway/gateway.js';
import { createApp } from '../app.js';
import { startServer, type RunningServer } from '../adapters/node/server.js';
import type { Logger } from '../core/logger.js';
import type { SimServer } from '../sim/server.js';
import { DEMO_UPSTREAMS, type DemoUpstream } from './demo-upstreams.js';

export interface Demo {
  server: RunningServer;
  gateway: Gateway;
  sims: SimServer[];
  /**
   * The YAML config the demo runs on (the port it listens on, its simulators' addresses and fake keys):
   * what a config looks like, and a file `drill` and `consistency` can use while this demo runs.
   */
  configYaml: string;
  /** The port the demo would have taken but found taken (4000 unless `preferredPort`), when it fell back to a free one. */
  portTaken?: number;
  close(): Promise<void>;
}

/** The port the demo listens on unless `--port` names another or it is taken. */
export const DEMO_PORT = 4000;

/** The demo's answer to a reload: its config is made at start, around the simulators' ports, and read from no file. */
export const DEMO_NO_RELOAD = "The demo's config is built in, so there is no file to reload: write it out with switchyard demo --write-config FILE, edit it, and run switchyard serve -c FILE, which reloads.";

/** What the demo's written config says of itself, under `DEMO_CONFIG_KEY`. */
const DEMO_CONFIG_NOTE = 'written by switchyard demo: its keys are the simulators\' fake ones, valid while that demo runs; delete this key when you put real ones in, or they are not warned about';

/** Requests per minute the demo's `limited` group answers; the next ones get 429 `rate_limit_exceeded`. */
export const DEMO_LIMITED_RPM = 3;

const CLOUD_ORDER = ['bedrock', 'azure', 'vertex'];
const byCloud = (a: string, b: string): number => CLOUD_ORDER.indexOf(a.split('-')[0] ?? '') - CLOUD_ORDER.indexOf(b.split('-')[0] ?? '');

/**
 * The demo's raw config for its started upstreams: what `demo` serves and prints, and a seed of the
 * config fuzzer (src/config/config.fuzz.test.ts).
 */
export function demoConfig(upstreams: readonly DemoUpstream[], options: { host?: string; port?: number; dataDir: string }) {
  const deployments = upstreams.flatMap((u) => u.deployments);
  const chatDeployments = deployments.filter((d) => !String(d.model).includes('embed')).map((d) => d.id as string);
  return {
    server: { host: options.host ?? '127.0.0.1', port: options.port ?? DEMO_PORT },
    logging: { level: 'info' },
    // Every file of the demo's in its folder: its journal apart from a real gateway's run in the same directory.
    ledger: { store: 'sqlite', path: `${options.dataDir}/demo-ledger.sqlite`, spill_path: `${options.dataDir}/demo-ledger-spill.jsonl`, journal_dir: `${options.dataDir}/demo-ledger-journal` },
    deployments,
    groups: [
      { name: 'chat', aliases: ['gpt-4o-mini', 'default'], strategy: 'priority', deployments: chatDeployments },
      { name: 'balanced', strategy: 'round-robin', deployments: chatDeployments },
      // Active-passive across the three clouds: Claude on Bedrock, then GPT on Azure, then Gemini on Vertex.
      { name: 'multicloud', strategy: 'priority', deployments: chatDeployments.filter((id) => /^(bedrock|azure|vertex)-/.test(id)).sort(byCloud) },
      // The same models under a rate limit, to show a 429 without closing the open gateway to keys.
      { name: 'limited', strategy: 'priority', deployments: chatDeployments },
      ...upstreams.flatMap((u) => u.groups),
    ],
    default_group: 'chat',
    rate_limits: [{ name: 'demo-limited', group: 'limited', requests_per_minute: DEMO_LIMITED_RPM }],
  };
}

/** Every demo simulator started; the ones that did start are closed again when another fails. */
async function startUpstreams(): Promise<DemoUpstream[]> {
  const started = await Promise.allSettled(DEMO_UPSTREAMS.map((start) => start()));
  const upstreams = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed === undefined) return upstreams;
  await Promise.all(upstreams.map((u) => u.sim.close()));
  throw failed.reason;
}

/**
 * Starts every demo simulator and a gateway in front of them: on `port`, else on `preferredPort`
 * (`DEMO_PORT`; another in specs, which cannot count on 4000 being free or taken) or, when that is
 * taken, on a free port, which `portTaken` then says.
 */
export async function startDemo(options: { port?: number; preferredPort?: number; host?: string; logger?: Logger; accessLogger?: Logger; dataDir?: string } = {}): Promise<Demo> {
  const dataDir = options.dataDir ?? '.switchyard';
  const upstreams = await startUpstreams();
  const raw = demoConfig(upstreams, { host: options.host, port: options.port ?? options.preferredPort, dataDir });
  const parsed = parseConfig(raw, {});
  const sims = upstreams.map((u) => u.sim);
  // Closing a simulator also removes its temporary files (the Vertex one's service-account key).
  const closeSims = async (): Promise<void> => void (await Promise.all(sims.map((s) => s.close())));
  if (!parsed.ok) {
    await closeSims();
    throw new Error(`demo config is invalid: ${parsed.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  }
  let app: Awaited<ReturnType<typeof createApp>>;
  try {
    app = await createApp(parsed.config, { logger: options.logger, accessLogger: options.accessLogger, listens: true, noReload: DEMO_NO_RELOAD });
  } catch (err) {
    // Else the simulators listen on and the process never exits.
    await closeSims();
    throw demoProblem(err, dataDir);
  }
  const gateway = app.gateway;
  const serverOptions = { ...app.serverOptions, onClose: () => app.close() };
  let server: RunningServer;
  let portTaken: number | undefined;
  try {
    server = await startServer(gateway, serverOptions).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || options.port !== undefined) throw err;
      portTaken = raw.server.port;
      return startServer(gateway, { ...serverOptions, port: 0 });
    });
  } catch (err) {
    // Nothing listens: the app and the simulators would otherwise keep the process alive.
    await app.close();
    await closeSims();
    throw err;
  }
  return {
    server,
    gateway,
    sims,
    // Marked as the demo's: its keys are the simulators' fake ones, written out, which check-config and serve do not warn about.
    configYaml: stringify({ [DEMO_CONFIG_KEY]: DEMO_CONFIG_NOTE, ...raw, server: { ...raw.server, port: server.port } }, { aliasDuplicateObjects: false }),
    portTaken,
    async close() {
      await server.shutdown(1_000);
      await closeSims();
    },
  };
}

/**
 * A ledger path the filesystem refused, in demo terms (its user has no config that "config: invalid
 * config / ledger.path" could be about); anything else as it was.
 */
function demoProblem(err: unknown, dataDir: string): unknown {
  if (!(err instanceof ConfigError) || !err.problems.every((p) => p.path.startsWith('ledger.'))) return err;
  const why = err.problems.map((p) => p.message).join('; ');
  return new Error(`cannot keep the demo's ledger in ${dataDir}/ (${why}); the demo writes ${dataDir}/ in the directory it runs in: run it in one you may write to`);
}
