import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../core/logger.js';
import { MemoryStateStore } from '../state/memory.js';
import { STATE_CHANGED, STATE_TARGET, stateHandlers } from '../state/ipc.js';
import { MemoryBudgetState } from '../ledger/budgets/state.js';
import { BUDGETS_TARGET, budgetHandlers, budgetHoldings } from '../ledger/budgets/ipc-state.js';
import { RATE_LIMITS_TARGET, rateLimitHandlers, rateLimitHoldings } from '../limits/ipc-state.js';
import { MemoryRateLimitState } from '../limits/state.js';
import { answer, Asks, CLUSTER_TARGET, isCall, isTell, type AskMessage, type PushMessage } from './rpc.js';
import { ClusterMetrics, METRICS_TOPIC, type MetricsWorker } from './metrics.js';
import { gatherStatus, STATUS_TOPIC } from './status.js';
import { LOAD_TOPIC, LoadRelay } from './load.js';
import { CANNOT_START_EXIT } from './port.js';
import { WAL_READS_TARGET, WalReadCounts, walReadHandlers } from './wal-reads.js';
import type { LoadReport } from '../routing/load.js';
import type { GatewayStatus } from '../gateway/engine.js';
import type { InterruptionNotice } from '../ops/interruption/notice.js';
import { INTERRUPTION_TOPIC } from './interruption.js';
import { STOP_NOW_TOPIC } from './stop-now.js';
import { KEYS_TOPIC, keysChangedElsewhere } from './keys.js';
import { RELOAD_TOPIC, reloadWorkers } from './reload.js';
import { PING_TOPIC, Watchdog } from './watchdog.js';

/**
 * Sends to a worker whose channel may close meanwhile (it is exiting, or being replaced): the message is
 * then moot. Without the callback a send that fails (EPIPE) is an 'error' event on the Worker, which no
 * one listens to: it crashed the primary when a worker stopped on SIGTERM while its answer was on the way.
 */
export function tell(w: Worker, message: Parameters<Worker['send']>[0]): void {
  if (w.isConnected()) w.send(message, () => undefined);
}

export interface PrimaryOptions {
  workers: number;
  logger: Logger;
  /**
   * The config file's text as read at start (it holds `${ENV}` references, not their values; never logged).
   * Each worker builds from the text the group runs, replaced when a worker reports a reload: a worker
   * forked later (a crash's restart) must not run a file edited since, or one now invalid.
   */
  configText: string;
  /** Crashed workers restarted within `restartWindowMs` before the primary gives up. */
  maxRestarts?: number;
  restartWindowMs?: number;
  /** How long a scrape waits for each worker's metrics before answering without them. */
  metricsTimeoutMs?: number;
  /** How long a status call waits for each other worker's status before answering without it. */
  statusTimeoutMs?: number;
}

/** A running primary: when it is done, and the way to drain every worker on an interruption notice. */
export interface Primary {
  /**
   * The exit code once every worker has exited: 1 when the workers could not be kept up or one died while
   * draining; 130 when a second SIGINT stopped them at once.
   */
  exited: Promise<number>;
  /**
   * Has every worker drain on `notice`, each with the grace its deadline leaves, as a single process
   * does; resolves once all have exited, when the caller may tell the platform (Azure) to go ahead.
   */
  interrupt(notice: InterruptionNotice): Promise<void>;
}

/**
 * The primary of `serve --workers N`: forks the workers (they share the listening port), holds the
 * state they share (breakers, cool-downs, drains, budget and rate-limit counters) and pushes every state change to
 * all of them. It relays each worker's use of quotas and provisioned capacity to the others (`LoadRelay`), and counts their running SQLite ledger reads for their WAL gates (`WalReadCounts`). A scrape of GET /metrics on any worker is answered with every worker's series, and GET
 * /v1/switchyard/status (and the dashboard's feed) with every worker's status, which the primary
 * gathers and combines. SIGTERM/SIGINT are forwarded to every worker (as SIGTERM), which drains and exits, a
 * second SIGINT (Ctrl-C pressed twice) as a push that stops them at once; SIGHUP (reload) too until then; a worker's admin reload has every other worker reload and say what it applied (`reload.ts`); an interruption notice (`interrupt`) is pushed to every worker likewise. A crashed worker is restarted from the running config, at most `maxRestarts` times per window; so is one whose event loop is stuck, which the watchdog kills with SIGKILL once it has left a ping unanswered for 30 s (`watchdog.ts`).
 */
export function startPrimary(options: PrimaryOptions): Primary {
  const { logger } = options;
  const maxRestarts = options.maxRestarts ?? 5;
  const windowMs = options.restartWindowMs ?? 60_000;
  // Advanced serialization keeps `undefined` (a missing key, a lost counter) distinct from null.
  cluster.setupPrimary({ serialization: 'advanced' });
  const listening = new Set<number>();
  const listeningWorkers = (): Worker[] => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && listening.has(w.id));
  const shared = shareWithWorkers(options, listeningWorkers);
  // A worker whose event loop is stuck keeps its share of the port: only its silence gives it away.
  const watchdog = new Watchdog({ logger, ping: shared.ping, kill: (id) => void cluster.workers?.[id]?.process.kill('SIGKILL') });
  const onListening = (worker: Worker): void => {
    listening.add(worker.id);
    watchdog.watch(worker.id, worker.process.pid);
  };
  // A worker that closed its channel (done serving) can no longer answer, and is on its way out.
  const onDisconnect = (worker: Worker): void => watchdog.forget(worker.id);
  cluster.on('listening', onListening);
  cluster.on('disconnect', onDisconnect);

  let stopping = false;
  let failed = false;
  let sigints = 0;
  let stoppedNow = false;
  const afterCrash = restartPolicy(maxRestarts, windowMs);
  const stopAll = (why: Record<string, unknown>, tell: (w: Worker) => void): void => {
    if (!stopping) logger.info({ ...why, workers: Object.keys(cluster.workers ?? {}).length }, 'draining every worker');
    stopping = true;
    // A drain is an exit on purpose: how long it takes is the grace's business, not the watchdog's.
    watchdog.stop();
    for (const w of Object.values(cluster.workers ?? {})) if (w) tell(w);
  };
  // Every stop is forwarded, a drain's second included: a worker joins the drain it runs (a SIGTERM during
  // a notice's drain keeps the notice's deadline). Only a second SIGINT cuts the drains short.
  const onStop = (signal: NodeJS.Signals): void => {
    if (signal === 'SIGINT' && ++sigints >= 2) return stopNow();
    stopAll({ signal }, (w) => w.process.kill('SIGTERM'));
  };
  const stopNow = (): void => {
    stopping = true;
    watchdog.stop();
    stoppedNow = true;
    logger.warn({ signal: 'SIGINT', workers: Object.keys(cluster.workers ?? {}).length }, 'second SIGINT: every worker stops now');
    const push: PushMessage = { sy: 'push', topic: STOP_NOW_TOPIC, data: null };
    for (const w of Object.values(cluster.workers ?? {})) if (w) tell(w, push);
  };
  // Only to listening workers: one still starting builds from the running config anyway. Never once
  // stopping: a drain runs to its end, and a reload then would only build an app no request reaches.
  const onHup = (): void => {
    if (stopping) return logger.info({ signal: 'SIGHUP' }, 'reload ignored: shutting down');
    for (const w of listeningWorkers()) w.process.kill('SIGHUP');
  };
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  process.on('SIGHUP', onHup);

  const exited = new Promise<number>((resolve) => {
    cluster.on('exit', (worker, code, signal) => {
      const served = listening.delete(worker.id);
      watchdog.forget(worker.id);
      shared.workerExited(worker.id);
      const crashed = !stopping && (code !== 0 || signal !== null);
      const verdict = crashed ? afterCrash(code) : undefined;
      if (verdict === 'restart') {
        logger.warn({ worker: worker.id, pid: worker.process.pid, code, signal }, 'worker exited unexpectedly: restarting it');
        cluster.fork();
      } else if (verdict) {
        failed = true;
        // A port taken after the primary's check: no restart can help.
        if (verdict === 'cannot start') logger.error({ worker: worker.id, code }, 'a worker cannot start (its port, or a setting it reported): stopping');
        else logger.error({ worker: worker.id, code, signal, restarts: maxRestarts, windowMs }, 'workers keep crashing: stopping');
        onStop('SIGTERM');
      } else if (stopping && !stoppedNow && served && (code !== 0 || signal !== null)) {
        // Killed mid-drain (an OOM kill, a stray signal): its streams were cut and its ledger not flushed.
        failed = true;
        logger.error({ worker: worker.id, pid: worker.process.pid, code, signal }, 'a worker died while draining');
      }
      if (Object.keys(cluster.workers ?? {}).length > 0) return;
      // The signal listeners stay (with no worker left to tell): without them, a signal before the
      // process exits (a SIGTERM while it acknowledges an interruption notice) would end it.
      stopping = true;
      watchdog.stop();
      cluster.off('listening', onListening);
      cluster.off('disconnect', onDisconnect);
      shared.close();
      logger.info({}, 'every worker has stopped');
      resolve(stoppedNow ? 130 : failed ? 1 : 0);
    });
    for (let i = 0; i < options.workers; i += 1) cluster.fork();
    logger.info({ pid: process.pid, workers: options.workers }, 'switchyard primary started');
  });
  // A listening worker gets the notice, not SIGTERM, whose drain takes the configured grace rather than
  // the one the deadline leaves; one still starting may not hear a push yet, and has nothing to drain.
  const interrupt = async (notice: InterruptionNotice): Promise<void> => {
    const push: PushMessage = { sy: 'push', topic: INTERRUPTION_TOPIC, data: notice };
    stopAll({ interruption: notice.kind }, (w) => {
      if (!listening.has(w.id)) w.process.kill('SIGTERM');
      else tell(w, push);
    });
    await exited;
  };
  return { exited, interrupt };
}

/**
 * What the primary holds for its workers and answers their calls with: the shared state and counters,
 * metrics, status, load and WAL reads. `workerExited` drops what an exited worker held; `close` stops.
 */
function shareWithWorkers(options: PrimaryOptions, listeningWorkers: () => Worker[]) {
  const { logger } = options;
  const store = new MemoryStateStore();
  const broadcast = (message: PushMessage): void => {
    for (const w of Object.values(cluster.workers ?? {})) if (w) tell(w, message);
  };
  const asks = new Asks();
  // An ask goes out whenever the worker is connected: send() returning false only says its channel is
  // backed up (the combined metrics are large), and a send that fails leaves the ask to time out.
  const sendAsk = (w: Worker, m: AskMessage): boolean => w.isConnected() && (w.send(m, () => undefined), true);
  const ask = (w: Worker, topic: string, timeoutMs: number): Promise<unknown> => asks.ask((m) => sendAsk(w, m), topic, timeoutMs);
  const ping = (id: number, timeoutMs: number): Promise<unknown> => {
    const w = cluster.workers?.[id];
    return w ? ask(w, PING_TOPIC, timeoutMs) : Promise.reject(new Error(`worker ${id} has exited`));
  };
  const metricsWorker = (w: Worker): MetricsWorker => ({ id: w.id, collect: (timeoutMs) => ask(w, METRICS_TOPIC, timeoutMs) });
  const metrics = new ClusterMetrics({ workers: () => listeningWorkers().map(metricsWorker), logger, timeoutMs: options.metricsTimeoutMs });
  const loads = new LoadRelay({
    workers: () => listeningWorkers().map((w) => w.id),
    push: (id, others) => {
      const w = cluster.workers?.[id];
      if (w) tell(w, { sy: 'push', topic: LOAD_TOPIC, data: others } satisfies PushMessage);
    },
  });
  const walReads = new WalReadCounts();
  let configText = options.configText;
  const config = { read: () => configText, reloadedTo: (text: string) => void (configText = text) };
  const counters = sharedCounters();
  const targets = { ...callTargets({ config, store, broadcast, metrics, loads, listeningWorkers, ask, statusTimeoutMs: options.statusTimeoutMs }), ...counters.targets, [WAL_READS_TARGET]: walReadHandlers(walReads) };
  const onMessage = (worker: Worker, message: unknown): void => {
    if (isTell(message)) return asks.receive(message);
    if (!isCall(message)) return;
    void answer(targets, message, worker.id).then((reply) => {
      tell(worker, reply);
    });
  };
  cluster.on('message', onMessage);
  return {
    /** Asks worker `id` whether its event loop turns (the watchdog's ping). */
    ping,
    workerExited: (id: number): void => {
      metrics.retire(id);
      loads.forget(id);
      walReads.forget(id);
      counters.workerExited(id);
    },
    close: (): void => {
      cluster.off('message', onMessage);
      loads.close();
      void store.close();
    },
  };
}

/**
 * What to do about a worker that crashed: restart it, at most `max` times per `windowMs`, then give up;
 * one that cannot start (`CANNOT_START_EXIT`: its port, a setting its app refused) would only fail the same way again.
 */
export function restartPolicy(max: number, windowMs: number, now: () => number = Date.now): (code: number | null) => 'restart' | 'give up' | 'cannot start' {
  const restarts: number[] = [];
  return (code) => {
    if (code === CANNOT_START_EXIT) return 'cannot start';
    const at = now();
    while (restarts.length > 0 && (restarts[0] as number) < at - windowMs) restarts.shift();
    if (restarts.length >= max) return 'give up';
    restarts.push(at);
    return 'restart';
  };
}

/**
 * The budget and rate-limit counters the workers share, and what each worker's reservations still hold
 * in them: a worker that exits with requests in flight (SIGKILL, OOM, a crash) would otherwise leave
 * their reservations held until the period ends; its exit releases them, and keeps the spend it settled.
 */
export function sharedCounters(budgets = new MemoryBudgetState(), limits = new MemoryRateLimitState()) {
  const budgetsHeld = budgetHoldings(budgets);
  const limitsHeld = rateLimitHoldings(limits);
  return {
    targets: { [BUDGETS_TARGET]: budgetHandlers(budgets, budgetsHeld), [RATE_LIMITS_TARGET]: rateLimitHandlers(limits, limitsHeld) },
    workerExited: (id: number): void => {
      // In-memory states: their releases never fail.
      void budgetsHeld.exited(id);
      void limitsHeld.exited(id);
    },
  };
}

interface TargetsOf {
  config: { read: () => string; reloadedTo: (text: string) => void };
  store: MemoryStateStore;
  broadcast: (message: PushMessage) => void;
  metrics: ClusterMetrics;
  loads: LoadRelay;
  listeningWorkers: () => Worker[];
  ask: (w: Worker, topic: string, timeoutMs: number) => Promise<unknown>;
  statusTimeoutMs: number | undefined;
}

/** What workers may call in the primary: the shared state and counters, and the pod-wide answers. */
function callTargets({ config, store, broadcast, metrics, loads, listeningWorkers, ask, statusTimeoutMs }: TargetsOf) {
  return {
    [STATE_TARGET]: stateHandlers(store, (key) => broadcast({ sy: 'push', topic: STATE_CHANGED, data: key })),
    [CLUSTER_TARGET]: {
      // A worker reloaded through the admin API: the others read the file again too, and say what they
      // applied (each reload asked for while one runs reads the file once more after it, `AppHolder`).
      reloadOthers: ([from]: readonly unknown[]) =>
        reloadWorkers(
          listeningWorkers()
            .filter((w) => w.id !== from)
            .map((w) => ({ id: w.id, reload: (timeoutMs: number) => ask(w, RELOAD_TOPIC, timeoutMs) })),
        ),
      // A worker wrote a virtual key: the others reload theirs before its write is answered.
      keysChanged: ([from]: readonly unknown[]) =>
        keysChangedElsewhere(
          listeningWorkers()
            .filter((w) => w.id !== from)
            .map((w) => (timeoutMs: number) => ask(w, KEYS_TOPIC, timeoutMs)),
        ),
      // A worker starting builds from the config the group runs, not from the file as it is now.
      runningConfig: async () => config.read(),
      reloadedTo: async ([text]: readonly unknown[]) => {
        if (typeof text === 'string') config.reloadedTo(text);
      },
      metrics: () => metrics.render(),
      // A worker's use of quotas and provisioned capacity; it is answered with the others' sum.
      load: async ([from, report]: readonly unknown[]) => loads.report(from as number, report as LoadReport),
      // The calling worker sends its own status; the others are asked for theirs.
      status: ([from, own]: readonly unknown[]) =>
        gatherStatus(
          own as GatewayStatus,
          listeningWorkers()
            .filter((w) => w.id !== from)
            .map((w) => ({ id: w.id, collect: (timeoutMs: number) => ask(w, STATUS_TOPIC, timeoutMs) })),
          statusTimeoutMs,
        ),
    },
  };
}
