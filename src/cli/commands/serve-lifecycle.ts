import type { RunningServer } from '../../adapters/node/server.js';
import type { App } from '../../app.js';
import type { WorkerShared } from '../../cluster/worker.js';
import type { loadConfigFile } from '../../config/load.js';
import type { InterruptionNotice } from '../../ops/interruption/notice.js';
import { drainGraceMs, type SighupReloads } from '../../ops/lifecycle.js';
import type { AppHolder } from '../../ops/reload.js';
import type { Logger } from '../../core/logger.js';
import { reportEventLoopDelayOnSignal } from '../event-loop-delay.js';
import type { StopSignals } from '../signals.js';
import type { CommandIO } from '../command.js';
import { Drain } from './serve-drain.js';
import { primaryNotices, watchedNotices, type NoticeSource } from './serve-notices.js';

/** The exit code of a stop at once (a second SIGINT): 128 + SIGINT, as a shell reports a process Ctrl-C ended. */
export const STOPPED_NOW_EXIT = 130;
/** How long a stop at once leaves the app to close (the ledger's flush) before the process exits anyway. */
const STOP_NOW_EXIT_MS = 2_000;

/** A serving process: its server, its reloadable app, and what it was started with. */
export interface Served {
  server: RunningServer;
  holder: AppHolder<App>;
  logger: Logger;
  shared: WorkerShared | undefined;
  config: ReturnType<typeof loadConfigFile>;
}

/**
 * Serves until a stop request (SIGTERM, SIGINT, an interruption notice), reloading on SIGHUP; then drains.
 * Every later request joins that drain (`Drain`): it may end it sooner, never later. A second SIGINT (or
 * the primary relaying one) stops at once: requests in flight are cut, the app is closed, exit 130.
 */
export async function untilStopped({ server, holder, logger, shared, config }: Served, io: CommandIO, sighup: SighupReloads, stops: StopSignals): Promise<number> {
  const graceMs = config.server.shutdown_grace_ms;
  const drain = new Drain((ms) => server.shutdown(ms));
  let requested = (): void => undefined;
  const stopRequested = new Promise<void>((resolve) => (requested = resolve));
  const stopEld = io.env.SWITCHYARD_BENCH_ELD === '1' ? reportEventLoopDelayOnSignal(io.out) : undefined;
  const begin = (): void => {
    if (drain.started) return;
    // Its listener stays to the exit: a SIGHUP now must not end the drain.
    sighup.shutDown();
    stopEld?.();
    requested();
  };
  /** Starts the drain (logging `opening`, if any) or joins it, `ms` from now at the latest; resolves once drained. */
  const stop = (why: Record<string, unknown>, ms: number, opening?: string): Promise<void> => {
    if (drain.started) logger.info({ ...why, endsInMs: Math.min(drain.endsInMs(), ms) }, 'already shutting down: the drain goes on');
    else if (opening !== undefined) logger.info({ ...why, graceMs: ms }, opening);
    begin();
    return drain.request(ms);
  };
  let stoppedNow = false;
  const stopNow = (): void => {
    if (stoppedNow) return;
    stoppedNow = true;
    logger.warn({ signal: 'SIGINT' }, 'second SIGINT: stopping now');
    // A ledger store that does not answer must not hold the exit the operator asked for.
    setTimeout(() => process.exit(STOPPED_NOW_EXIT), STOP_NOW_EXIT_MS).unref();
    begin();
    drain.request(0).catch(() => undefined);
  };
  logger.info({ url: server.url, deployments: config.deployments.length }, 'switchyard listening');
  sighup.serve(() => holder.reload());
  // Another worker's admin reload, relayed by the primary: taken as a SIGHUP is, and answered with what was applied.
  shared?.answerReload(() => sighup.whileServing(() => holder.reload()));
  // A stop heard while starting is told at once: nothing is in flight yet, so the drain ends at once.
  // The drain's failure surfaces below, from `drain.done()`.
  stops.listen((signal, now) => (now ? stopNow() : void stop({ signal }, graceMs, 'shutting down').catch(() => undefined)));
  // A spot / preemption notice drains like SIGTERM (readyz 503 at once), but ends before the deadline.
  const onNotice = (notice: InterruptionNotice): Promise<void> => stop({ interruption: notice.kind }, drainGraceMs(notice, graceMs, Date.now()));
  const notices: NoticeSource = shared ? primaryNotices(shared, onNotice, logger) : watchedNotices(config, logger, onNotice);
  // Not awaited: finding the cloud (`auto`) may take seconds, which a stop must not wait for.
  notices.start();
  await stopRequested;
  await drain.done();
  await notices.settled();
  notices.stop();
  logger.info({}, 'stopped');
  shared?.close();
  return stoppedNow ? STOPPED_NOW_EXIT : 0;
}
