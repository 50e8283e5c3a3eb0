import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import { ConfigError, literalSecrets, loadConfigFile, parseConfigText, readConfigText } from '../../config/load.js';
import { LITERAL_SECRET } from '../../config/secret-ref.js';
import { checkReach } from '../../routing/reach.js';
import { createApp, type App } from '../../app.js';
import { AppHolder } from '../../ops/reload.js';
import { holderAdmin, holderGateway, holderServerOptions } from '../../ops/holder-gateway.js';
import { listeningAt, type AdminTarget, type Listening } from '../../ops/admin.js';
import { SighupReloads } from '../../ops/lifecycle.js';
import { startServer } from '../../adapters/node/server.js';
import { createLoggers } from '../logger.js';
import { SHARED_STORES_DOC, perPodStores } from '../per-pod-stores.js';
import { StopSignals, takeEarlySignals } from '../signals.js';
import { InterruptionWatcher } from '../../ops/interruption/watcher.js';
import { STOPPED_NOW_EXIT, untilStopped, type Served } from './serve-lifecycle.js';
import { cpuLimit } from '../../cluster/cpu.js';
import { startPrimary } from '../../cluster/primary.js';
import { workerShared, type WorkerShared } from '../../cluster/worker.js';
import { portFlag, UsageError, wholeNumberFlag, type Command, type CommandIO } from '../command.js';
import { openServerProblem } from '../../config/open-server.js';
import { serverSchema } from '../../config/schema.js';
import { CANNOT_START_EXIT, listenFailure, listenFailurePart, listenProblem, type ListenProblem } from '../../cluster/port.js';
import type { GatewayStatus } from '../../gateway/engine.js';
import { MemoryBudgetState } from '../../ledger/budgets/state.js';
import { budgetWarnings } from '../../ledger/budgets/config-warnings.js';
import { MemoryConversationStore, memoryLimits } from '../../ingress/openai-responses/store/memory.js';
import { MemoryRateLimitState } from '../../limits/state.js';
import { UsageQueryCounts } from '../../http/usage-route.js';

/** The most `--workers` takes: far past any core count a pod gets, short of a fork bomb. */
const MAX_WORKERS = 256;

export const serveCommand: Command = {
  name: 'serve',
  usage: 'switchyard serve -c FILE [--port N] [--host H] [--workers N]',
  summary: 'run the gateway from a config file',
  help: [
    'options:',
    '  -c, --config FILE   the YAML config (required); it is validated first, as check-config does',
    '  -p, --port N        listen on this port instead of server.port',
    '      --host H        listen on this address instead of server.host',
    '  -w, --workers N     processes sharing the port, 1 to 256 (default: one per core of the CPU limit; 1: no cluster)',
    'Stops on SIGTERM or SIGINT, letting in-flight requests finish (server.shutdown_grace_ms; a second SIGINT stops at once,',
    'exit 130); SIGHUP reloads the config.',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { config: { type: 'string', short: 'c' }, port: { type: 'string', short: 'p' }, host: { type: 'string' }, workers: { type: 'string', short: 'w' } },
      allowPositionals: false,
    });
    const port = portFlag(values.port);
    const host = hostFlag(values.host);
    // One worker per core of the container's CPU limit unless told; one worker means no cluster at all.
    // Bounded: a typo (40000 for 4) would fork until the machine ran out of memory.
    const workers = wholeNumberFlag('--workers', values.workers, 1, MAX_WORKERS) ?? cpuLimit();
    if (!values.config) {
      io.err('switchyard serve: name the config file (-c FILE)');
      io.err(`usage: ${this.usage}`);
      return 2;
    }
    // Before the first await: Node's default for SIGHUP, SIGTERM and SIGINT would end a process still
    // starting, or one draining. bin/switchyard.js held them while Node loaded the CLI; what it heard counts.
    let logger: Loggers['logger'] | undefined;
    const sighup = new SighupReloads((message) => (logger ? logger.info({ signal: 'SIGHUP' }, message) : io.err(`switchyard serve: ${message}`)));
    const stops = new StopSignals();
    // Nothing is served yet: a stop waits for the listening server (which then drains at once); a second SIGINT exits.
    stops.listen((_signal, now) => {
      if (!now) return;
      if (logger) logger.warn({ signal: 'SIGINT' }, 'second SIGINT while starting: exiting');
      else io.err('switchyard serve: second SIGINT while starting: exiting');
      process.exit(STOPPED_NOW_EXIT);
    });
    const early = takeEarlySignals();
    for (const signal of early) if (signal === 'SIGTERM' || signal === 'SIGINT') stops.hear(signal);
    // Logged once there is a logger: a reload of the config being loaded is moot.
    const earlyHups = early.filter((signal) => signal === 'SIGHUP').length;
    const onLogger = (l: Loggers['logger']): void => {
      logger = l;
      for (let i = 0; i < earlyHups; i += 1) l.info({ signal: 'SIGHUP' }, 'reload ignored: starting');
    };
    // A worker's channel to the primary keeps it alive: every way out before serving must close it.
    const shared = workerShared();
    void shared?.stopNow.then(() => stops.stopNow());
    // Not serving after all: Node's defaults again, as for any command that ends.
    const notServing = (): void => {
      leaveCluster(shared);
      sighup.close();
      stops.close();
    };
    const started = await start({ file: values.config, workers, listen: { port, host }, io, shared, sighup, stops, onLogger }).catch((err: unknown) => {
      notServing();
      throw err;
    });
    if (typeof started === 'number') {
      notServing();
      return started;
    }
    return untilStopped(started, io, sighup, stops);
  },
};

interface StartOptions {
  file: string;
  workers: number;
  listen: { port: number | undefined; host: string | undefined };
  io: CommandIO;
  shared: WorkerShared | undefined;
  sighup: SighupReloads;
  stops: StopSignals;
  onLogger: (logger: Loggers['logger']) => void;
}

/** Loads the config and serves it (or, as the primary of `--workers`, runs the workers); an exit code when it cannot. */
async function start({ file, workers, listen, io, shared, sighup, stops, onLogger }: StartOptions): Promise<Served | number> {
  // The primary keeps the text it read for the workers; a worker builds from that text, not the file.
  const primary = workers > 1 && cluster.isPrimary;
  let loaded: Loaded;
  let reach: ReturnType<typeof checkReach>;
  try {
    loaded = shared ? await runningConfig(shared, file, io) : primary ? readConfig(file, io) : { config: loadConfigFile(file, io.env), text: undefined };
    // Checked once, by the process that reads the file: a reload does not check it, so the text the
    // primary runs need not pass it, and a worker refusing it would stop the pod.
    reach = checkReach(loaded.config);
    if (!shared && reach.errors.length > 0) throw new ConfigError(file, reach.errors);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(err.message);
      io.err('refusing to start without a valid config');
      // The primary checked this text before forking: restarting the worker would fail the same way.
      return shared ? CANNOT_START_EXIT : 1;
    }
    throw err;
  }
  const { config } = loaded;
  const loggers = createLoggers(config.logging.level);
  onLogger(loggers.logger);
  if (!cluster.worker) {
    for (const w of reach.warnings) loggers.logger.warn({ path: w.path }, w.message);
    for (const path of literalSecrets(config)) loggers.logger.warn({ path }, LITERAL_SECRET);
    for (const w of budgetWarnings(config)) loggers.logger.warn({ path: w.path }, w.message);
    const perPod = perPodStores(config, io.env);
    if (perPod) loggers.logger.warn({ settings: perPod.settings, docs: SHARED_STORES_DOC }, perPod.message);
  }
  const at: ListenAt = {
    host: listen.host ?? config.server.host,
    port: listen.port ?? config.server.port,
    setting: { host: listen.host !== undefined ? '--host' : `server.host in ${file}`, port: listen.port !== undefined ? '--port' : `server.port in ${file}` },
  };
  // The config's own host was checked with it; a --host in its place is held to the same rule.
  const open = listen.host === undefined ? undefined : openServerProblem({ host: at.host, allowUnauthenticated: config.server.allow_unauthenticated, apiKeys: config.api_keys.length, virtualKeys: config.keys.hmac_secret !== undefined });
  if (open !== undefined) {
    io.err(`switchyard serve: --host ${open}`);
    return 1;
  }
  if (primary) {
    const problem = await listenProblem(at.host, at.port);
    if (problem !== undefined) {
      io.err(cannotListen(at, problem));
      return 1;
    }
    // Stopped while starting: no worker has anything to drain.
    if (stops.first !== undefined) {
      loggers.logger.info({ signal: stops.first }, 'stopped before starting the workers');
      return 0;
    }
    // The primary takes the signals over (it forwards them to the workers) before it returns to the event loop.
    sighup.close();
    stops.close();
    return runCluster(workers, loggers.logger, config, loaded.text ?? '');
  }
  try {
    return await serveApp(config, file, io, loggers, listen, shared);
  } catch (err) {
    // Found while the app was built (a ledger path the filesystem refuses, a store it needs): the file's problem.
    if (err instanceof ConfigError && err.source === 'config') {
      io.err(new ConfigError(file, err.problems).message);
      io.err('refusing to start without a valid config');
      return cluster.isWorker ? CANNOT_START_EXIT : 1;
    }
    const reason = listenFailure(err);
    if (reason === undefined) throw err;
    io.err(cannotListen(at, { reason, part: listenFailurePart(err) }));
    // A worker's primary stops on this code rather than restarting it into the same failure.
    return cluster.isWorker ? CANNOT_START_EXIT : 1;
  }
}

/**
 * The primary of `--workers`: it alone watches for interruption notices (one metadata probe per pod) and
 * has every worker drain on one; the notice is acknowledged (Azure's StartRequests, which lets the
 * platform take the machine at once) only after the last worker has exited, never while one still serves.
 */
async function runCluster(workers: number, logger: Loggers['logger'], config: Config, configText: string): Promise<number> {
  const primary = startPrimary({ workers, logger, configText });
  let noticed = false;
  const watcher = new InterruptionWatcher(config.interruption, {
    logger,
    onNotice: (notice) => {
      noticed = true;
      return primary.interrupt(notice);
    },
  });
  // Not awaited: finding the cloud (`auto`) may take seconds, and the workers start meanwhile.
  void watcher.start();
  const code = await primary.exited;
  if (noticed) await watcher.handled;
  watcher.stop();
  return code;
}

/** A config and, when it is kept, the text it was parsed from. */
interface Loaded {
  config: Config;
  text: string | undefined;
}

/** Reads `file` keeping its text: what the primary hands its workers, and a worker's reload reports. */
function readConfig(file: string, io: CommandIO): Loaded {
  // Read once, with loadConfigFile's checks of the file (a regular file, its size, UTF-8) and its messages.
  const text = readConfigText(file);
  return { config: parseConfigText(text, file, io.env), text };
}

/** A worker's config: the text its primary runs (the file may have been edited since, validly or not). */
async function runningConfig(shared: WorkerShared, file: string, io: CommandIO): Promise<Loaded> {
  const text = await shared.runningConfig();
  return { config: parseConfigText(text, file, io.env), text };
}

/**
 * A worker that will not serve leaves the cluster, so it exits and the primary sees it exit; should
 * anything else still hold its event loop, it is ended after a second (the primary must not wait on it).
 */
function leaveCluster(shared: WorkerShared | undefined): void {
  if (!shared) return;
  shared.close();
  setTimeout(() => process.exit(), 1_000).unref();
}

/**
 * A `--host` value, held to what `server.host` takes: Node listens on every interface for an empty host,
 * which the config refuses and a blank flag (`--host "$UNSET"`) must not bring back.
 */
function hostFlag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const refused = serverSchema.safeParse({ host: value.trim() }).error?.issues.find((i) => i.path[0] === 'host');
  if (refused) throw new UsageError(`--host ${refused.message}`);
  return value;
}

/** Where serve listens, and the setting (flag or config path) that chose each half. */
interface ListenAt {
  host: string;
  port: number;
  setting: Record<'host' | 'port', string>;
}

/** One line for a failed listen: the address, why, and the setting to change (a bad host name resolves to nothing). */
function cannotListen(at: ListenAt, problem: ListenProblem): string {
  const host = at.host.includes(':') ? `[${at.host}]` : at.host;
  return `switchyard serve: cannot listen on ${host}:${at.port}: ${problem.reason}${problem.part === undefined ? '' : ` (${at.setting[problem.part]})`}`;
}

type Loggers = ReturnType<typeof createLoggers>;
type Config = ReturnType<typeof loadConfigFile>;


/** Builds the app (reloadable) from `file` and starts serving it; under `--workers`, this worker's share of the pod. */
async function serveApp(config: Config, file: string, io: CommandIO, loggers: Loggers, listen: StartOptions['listen'], shared: WorkerShared | undefined): Promise<Served> {
  // A worker's lines say which worker wrote them; its breakers and budgets live in the primary.
  const logger = cluster.worker ? loggers.logger.child({ worker: cluster.worker.id }) : loggers.logger;
  const access = cluster.worker ? loggers.access.child({ worker: cluster.worker.id }) : loggers.access;
  // Admin actions go to whichever app is current, and may reload it (POST /v1/switchyard/reload).
  // With workers, the others reload too once this one did, and the answer says what each applied.
  // GET /v1/switchyard/config shows where it listens, which --host, --port or a reload part from the file.
  let listening: Listening | undefined = undefined;
  const admin: AdminTarget = { ...holderAdmin(() => holder), ...(shared && { reload: () => shared.reloadPod(() => holder.reload(), logger) }), listening: () => listening };
  // With workers, GET /metrics answers for them all: the primary gathers each one's own series.
  const clusterMetrics = shared && (() => shared.metrics());
  // And GET /v1/switchyard/status and the dashboard's feed: the primary combines every worker's status.
  const clusterStatus = shared && ((own: GatewayStatus) => shared.status(own));
  // Counters in memory outlive reloads (in the primary with workers, else here): a reload must not
  // hand out a fresh budget or rate limit. Each app takes what its own config keeps in memory, so a
  // reload from Redis to memory shares the primary's too (else every worker would count on its own).
  const stored = config.responses.store;
  const kept = {
    budgetState: shared?.budgetState ?? new MemoryBudgetState(),
    rateLimitState: shared?.rateLimitState ?? new MemoryRateLimitState(),
    // Stored Responses without a SQL ledger: this process's, kept across reloads (each reload sets its limits).
    conversations: new MemoryConversationStore(memoryLimits(stored)),
    // Usage queries: an old app's still running count against the new app's usage_queries_max.
    usageQueries: new UsageQueryCounts(),
  };
  const build = (c: Config): Promise<App> =>
    createApp(c, {
      logger,
      accessLogger: access,
      admin,
      stateStore: c.state.store === 'memory' ? shared?.stateStore : undefined,
      budgetState: c.budgets.state === 'memory' ? kept.budgetState : undefined,
      rateLimitState: c.state.store === 'memory' ? kept.rateLimitState : undefined,
      memoryConversations: kept.conversations,
      usageQueries: kept.usageQueries,
      walReads: shared?.walReads,
      clusterMetrics,
      clusterStatus,
      // A virtual key written on this worker is in force on the others before its write is answered.
      keysWritten: shared && (() => shared.keysChanged()),
      listens: true,
    });
  const app = await build(config);
  // Reloads (SIGHUP, POST /v1/switchyard/reload) swap the app; requests finish on the one they began on.
  // A worker tells the primary the text it now runs, for the workers forked after it (a crash's restart).
  let read: string | undefined;
  const reload = {
    load: (): Config => {
      if (!shared) return loadConfigFile(file, io.env);
      const r = readConfig(file, io);
      read = r.text;
      return r.config;
    },
    build: async (c: Config): Promise<App> => {
      const built = await build(c);
      if (read !== undefined) shared?.reloadedTo(read);
      return built;
    },
    // Under --workers, each worker's answer names the file version it applied (the text, never logged).
    version: (): string | undefined => (read === undefined ? undefined : createHash('sha256').update(read).digest('hex').slice(0, 12)),
  };
  const holder: AppHolder<App> = new AppHolder(app, { ...reload, logger, retireAfterMs: config.server.shutdown_grace_ms });
  shared?.onStateChange(() => holder.current.gateway.syncState());
  shared?.answerMetrics(async () => (await holder.current.metrics?.json()) ?? { registry: 0, metrics: [] });
  shared?.answerStatus(() => holder.current.gateway.status());
  shared?.answerKeysChanged(async () => holder.current.governance.keys?.refresh());
  // Quotas and provisioned capacity are the pod's: each worker's router counts the others' use too.
  shared?.relayLoad(() => holder.current.gateway.load(), (others) => holder.current.gateway.adoptOthersLoad(others));
  // Once, however many shutdowns end: a drain shortened (`Drain`) runs the server's shutdown again.
  let closing: Promise<void> | undefined;
  const onClose = (): Promise<void> => (closing ??= holder.close());
  const server = await startServer(holderGateway(holder), { ...holderServerOptions(holder), port: listen.port, host: listen.host, onClose }).catch(async (err: unknown) => {
    await holder.close();
    throw err;
  });
  listening = listeningAt(listen, config.server.host, server.port);
  return { server, holder, logger, shared, config };
}
