import type { GatewayConfig } from '../../config/schema.js';
import { errorMessage } from '../../core/error-trace.js';
import type { InterruptionNotice } from '../../ops/interruption/notice.js';
import { InterruptionWatcher } from '../../ops/interruption/watcher.js';
import type { WorkerShared } from '../../cluster/worker.js';
import type { createLoggers } from '../logger.js';

type Loggers = ReturnType<typeof createLoggers>;

/**
 * Where a process hears of an interruption notice: its own watcher, or under `--workers` the primary.
 * It listens until the process exits: a notice during a drain started otherwise may shorten it.
 */
export interface NoticeSource {
  start(): void;
  /** Resolves once the notice taken, if any, was drained on (and acknowledged to the platform by the process's own watcher). */
  settled(): Promise<void>;
  /** No notice is taken after this. */
  stop(): void;
}

/** The process's own watcher of the cloud's metadata service, which acknowledges a notice (Azure) once drained. */
export function watchedNotices(config: Pick<GatewayConfig, 'interruption'>, logger: Loggers['logger'], onNotice: (notice: InterruptionNotice) => Promise<void>): NoticeSource {
  let noticed = false;
  const watcher = new InterruptionWatcher(config.interruption, {
    logger,
    onNotice: (notice) => {
      noticed = true;
      return onNotice(notice);
    },
  });
  return {
    start: () => void watcher.start().catch((err: unknown) => logger.warn({ err: errorMessage(err) }, 'interruption watcher: could not start')),
    settled: async () => {
      if (noticed) await watcher.handled;
    },
    stop: () => watcher.stop(),
  };
}

/**
 * A worker's notices: the primary watches for the pod and acknowledges once every worker has exited.
 * The drain is its own watcher's (the grace the deadline leaves), a failed one logged as a watcher's is.
 */
export function primaryNotices(shared: WorkerShared, onNotice: (notice: InterruptionNotice) => Promise<void>, logger: Loggers['logger']): NoticeSource {
  let stopped = false;
  let draining: Promise<void> = Promise.resolve();
  return {
    start: () =>
      void shared.interrupted.then((notice) => {
        if (stopped) return;
        logger.warn({ cloud: notice.cloud, kind: notice.kind, deadline: notice.deadline === undefined ? undefined : new Date(notice.deadline).toISOString() }, 'interruption notice from the primary: draining');
        draining = onNotice(notice).catch((err: unknown) => logger.warn({ err: errorMessage(err) }, 'draining on the interruption notice failed'));
      }),
    settled: () => draining,
    stop: () => void (stopped = true),
  };
}
