import cluster from 'node:cluster';
import type { BudgetState } from '../ledger/budgets/state.js';
import { IpcBudgetState } from '../ledger/budgets/ipc-state.js';
import { IpcRateLimitState } from '../limits/ipc-state.js';
import type { RateLimitState } from '../limits/state.js';
import { IpcStateStore, STATE_CHANGED } from '../state/ipc.js';
import type { StateStore } from '../state/store.js';
import type { RegistryJson } from '../observability/metric-json.js';
import { METRICS_TOPIC } from './metrics.js';
import type { GatewayStatus } from '../gateway/engine.js';
import type { ClusterStatus } from './combine-status.js';
import { STATUS_TOPIC } from './status.js';
import { CLUSTER_TARGET, RpcClient } from './rpc.js';
import { LOAD_REPORT_MS, LOAD_TOPIC, LoadReporter } from './load.js';
import type { LoadReport } from '../routing/load.js';
import type { ClusterReads } from '../ledger/store/wal-gate.js';
import { clusterWalReads, WAL_READS_TARGET } from './wal-reads.js';
import { asNotice, INTERRUPTION_TOPIC } from './interruption.js';
import { STOP_NOW_TOPIC } from './stop-now.js';
import { answerPings } from './watchdog.js';
import type { InterruptionNotice } from '../ops/interruption/notice.js';
import type { ReloadResult, WorkerReload } from '../ops/reload.js';
import type { Logger } from '../core/logger.js';
import { KEYS_CHANGED_MS, KEYS_TOPIC } from './keys.js';
import { RELOAD_TOPIC, reloadPod, reloadTold, WORKER_RELOAD_MS } from './reload.js';

/**
 * What a cluster worker shares through the primary, for `createApp`. The states are there whatever the
 * config the worker started with (they cost nothing until called): each app uses those its own config
 * keeps in memory (`state.store`, which rate limits follow, and `budgets.state`), so a reload from Redis
 * to memory still counts in the primary, not once per worker. Redis stays Redis.
 */
export interface WorkerShared {
  /** The primary's store. */
  stateStore: StateStore;
  /** The primary's budget counters. */
  budgetState: BudgetState;
  /** The primary's rate-limit counters. */
  rateLimitState: RateLimitState;
  /** Calls `sync` whenever the primary announces a state change (several announcements, one pull at a time). */
  onStateChange(sync: () => Promise<void>): void;
  /** The metrics of every worker, combined by the primary: what GET /metrics serves in a worker. */
  metrics(): Promise<string>;
  /** Gives the primary this worker's own metrics when it asks (for any worker's scrape). */
  answerMetrics(collect: () => Promise<RegistryJson>): void;
  /** This worker's status (`own`) combined with every other worker's by the primary: what GET /v1/switchyard/status serves. */
  status(own: GatewayStatus): Promise<ClusterStatus>;
  /** Gives the primary this worker's own status when it asks (for another worker's status call). */
  answerStatus(read: () => GatewayStatus): void;
  /**
   * Reports this worker's use of quotas and provisioned capacity (`read`) to the primary each second
   * when it changed, and gives `adopt` the sum of the other workers' use whenever the primary relays it.
   */
  relayLoad(read: () => LoadReport, adopt: (others: LoadReport) => void): void;
  /** Tells a SQLite ledger's WAL gate of the other workers' reads of the file at `path` (through the primary). */
  walReads: (path: string) => ClusterReads;
  /**
   * An admin reload of the process group: `own` (this worker's reload), then every other worker's through
   * the primary; the answer says what each applied (`reloadPod`).
   */
  reloadPod(own: () => Promise<ReloadResult>, logger: Logger): Promise<ReloadResult>;
  /** Reloads with `reload` when the primary asks (another worker's admin reload), telling it what was applied. */
  answerReload(reload: () => Promise<ReloadResult>): void;
  /** A virtual key was written here: resolves once every other worker reloaded its keys (or `KEYS_CHANGED_MS` passed). */
  keysChanged(): Promise<void>;
  /** How this worker reloads its keys when another wrote one. */
  answerKeysChanged(refresh: () => Promise<unknown>): void;
  /**
   * The config text the process group runs (the primary's, read at its start or at the last reload a
   * worker carried out), for this worker to build from: the file may have changed since without a reload.
   */
  runningConfig(): Promise<string>;
  /** Tells the primary this worker now runs `text` (a reload carried out), for the workers it forks later. */
  reloadedTo(text: string): void;
  /**
   * Resolves with the interruption notice the primary pushes to its listening workers: it alone watches
   * the metadata service, and acknowledges the notice once every worker has drained and exited.
   */
  interrupted: Promise<InterruptionNotice>;
  /** Resolves when the primary relays the operator's second SIGINT: stop at once, cutting what is in flight. */
  stopNow: Promise<void>;
  /** Stops calling the primary and leaves the cluster, so the worker exits once its work is done. */
  close(): void;
}

/** The shared state of this process when it is a `serve --workers` worker; undefined otherwise. */
export function workerShared(): WorkerShared | undefined {
  const worker = cluster.worker;
  if (!cluster.isWorker || !worker) return undefined;
  const rpc = new RpcClient(process);
  let loadTimer: NodeJS.Timeout | undefined;
  const interrupted = new Promise<InterruptionNotice>((resolve) =>
    rpc.onPush(INTERRUPTION_TOPIC, (data) => {
      const notice = asNotice(data);
      if (notice) resolve(notice);
    }),
  );
  const stopNow = new Promise<void>((resolve) => rpc.onPush(STOP_NOW_TOPIC, () => resolve()));
  // From the start: the primary pings only once this worker listens, and until it leaves the cluster.
  answerPings(rpc);
  return {
    stateStore: new IpcStateStore(rpc),
    budgetState: new IpcBudgetState(rpc),
    rateLimitState: new IpcRateLimitState(rpc),
    onStateChange(sync) {
      let dirty = false;
      let running = false;
      // A change announced during a pull may not be in that pull's answer: pull again after it.
      const run = async (): Promise<void> => {
        running = true;
        while (dirty) {
          dirty = false;
          await sync().catch(() => undefined);
        }
        running = false;
      };
      rpc.onPush(STATE_CHANGED, () => {
        dirty = true;
        if (!running) void run();
      });
    },
    async metrics() {
      const text = await rpc.call(CLUSTER_TARGET, 'metrics', []);
      if (typeof text !== 'string') throw new Error('the primary answered the metrics call with no exposition');
      return text;
    },
    answerMetrics(collect) {
      rpc.onAsk(METRICS_TOPIC, collect);
    },
    async status(own) {
      const combined = await rpc.call(CLUSTER_TARGET, 'status', [worker.id, own]);
      if (typeof combined !== 'object' || combined === null) throw new Error('the primary answered the status call with no status');
      return combined as ClusterStatus;
    },
    answerStatus(read) {
      rpc.onAsk(STATUS_TOPIC, async () => read());
    },
    relayLoad(read, adopt) {
      const reporter = new LoadReporter(read, adopt, (report) => rpc.call(CLUSTER_TARGET, 'load', [worker.id, report]));
      rpc.onPush(LOAD_TOPIC, (others) => reporter.receive(others));
      clearInterval(loadTimer);
      loadTimer = setInterval(() => void reporter.tick(), LOAD_REPORT_MS);
      loadTimer.unref();
      void reporter.tick();
    },
    walReads: clusterWalReads((method, args) => rpc.call(WAL_READS_TARGET, method, args), worker.id),
    reloadPod(own, logger) {
      // The primary waits up to WORKER_RELOAD_MS for the others; its answer gets a margin to arrive.
      const others = async (): Promise<WorkerReload[]> => {
        const told = await rpc.call(CLUSTER_TARGET, 'reloadOthers', [worker.id], WORKER_RELOAD_MS + 5_000);
        if (!Array.isArray(told)) throw new Error('the primary answered the reload call with no list of workers');
        return told as WorkerReload[];
      };
      return reloadPod(worker.id, own, others, logger);
    },
    answerReload(reload) {
      rpc.onAsk(RELOAD_TOPIC, async () => reloadTold(await reload()));
    },
    async keysChanged() {
      await rpc.call(CLUSTER_TARGET, 'keysChanged', [worker.id], KEYS_CHANGED_MS + 1_000);
    },
    answerKeysChanged(refresh) {
      rpc.onAsk(KEYS_TOPIC, async () => {
        await refresh();
        return true;
      });
    },
    async runningConfig() {
      const text = await rpc.call(CLUSTER_TARGET, 'runningConfig', []);
      if (typeof text !== 'string') throw new Error('the primary answered the config call with no config');
      return text;
    },
    reloadedTo(text) {
      void rpc.call(CLUSTER_TARGET, 'reloadedTo', [text]).catch(() => undefined);
    },
    interrupted,
    stopNow,
    close() {
      clearInterval(loadTimer);
      rpc.close();
      // Idempotent: a failed start and its caller may both close.
      if (worker.isConnected()) worker.disconnect();
    },
  };
}
