import cluster from 'node:cluster';
import type { GatewayConfig } from '../config/schema.js';
import type { BudgetState } from '../ledger/budgets/state.js';
import { IpcBudgetState } from '../ledger/budgets/ipc-state.js';
import { IpcRateLimitState } from '../limits/ipc-state.js';
import type { RateLimitState } from '../limits/state.js';
import { IpcStateStore, STATE_CHANGED } from '../state/ipc.js';
import type { StateStore } from '../state/store.js';
import type { MetricJson } from '../observability/metric-json.js';
import { METRICS_TOPIC } from './metrics.js';
import { CLUSTER_TARGET, RpcClient } from './rpc.js';

/** What a cluster worker shares through the primary, for `createApp`. */
export interface WorkerShared {
  /** Set when `state.store` is memory: the primary's store (Redis stays Redis). */
  stateStore: StateStore | undefined;
  /** Set when `budgets.state` is memory: the primary's counters. */
  budgetState: BudgetState | undefined;
  /** Set when `state.store` is memory (rate limits follow it): the primary's counters. */
  rateLimitState: RateLimitState | undefined;
  /** Calls `sync` whenever the primary announces a state change (several announcements, one pull at a time). */
  onStateChange(sync: () => Promise<void>): void;
  /** The metrics of every worker, combined by the primary: what GET /metrics serves in a worker. */
  metrics(): Promise<string>;
  /** Gives the primary this worker's own metrics when it asks (for any worker's scrape). */
  answerMetrics(collect: () => Promise<MetricJson[]>): void;
  /** Has the primary reload every other worker (this one reloaded through the admin API). */
  reloadOthers(): Promise<void>;
  /** Stops calling the primary and leaves the cluster, so the worker exits once its work is done. */
  close(): void;
}

/** The shared state of this process when it is a `serve --workers` worker; undefined otherwise. */
export function workerShared(config: GatewayConfig): WorkerShared | undefined {
  const worker = cluster.worker;
  if (!cluster.isWorker || !worker) return undefined;
  const rpc = new RpcClient(process);
  return {
    stateStore: config.state.store === 'memory' ? new IpcStateStore(rpc) : undefined,
    budgetState: config.budgets.state === 'memory' ? new IpcBudgetState(rpc) : undefined,
    rateLimitState: config.state.store === 'memory' ? new IpcRateLimitState(rpc) : undefined,
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
    async reloadOthers() {
      await rpc.call(CLUSTER_TARGET, 'reloadOthers', [worker.id]);
    },
    close() {
      rpc.close();
      worker.disconnect();
    },
  };
}
