import type { Logger } from '../core/logger.js';
import type { InterruptionNotice } from './interruption/notice.js';

/** Time kept back before an interruption deadline for closing connections and flushing the ledger. */
const DEADLINE_MARGIN_MS = 5_000;

/**
 * How long a drain may wait for in-flight requests after a notice: the configured grace, shortened so
 * the process is gone before the cloud takes the machine.
 */
export function drainGraceMs(notice: InterruptionNotice, graceMs: number, now: number): number {
  if (notice.deadline === undefined) return graceMs;
  return Math.max(0, Math.min(graceMs, notice.deadline - now - DEADLINE_MARGIN_MS));
}

/** Runs `reload` on every SIGHUP; failures are logged (the running config stays). Returns the unsubscribe. */
export function reloadOnSighup(reload: () => Promise<unknown>, logger: Logger): () => void {
  const on = (): void => {
    logger.info({ signal: 'SIGHUP' }, 'reloading the config');
    reload().catch(() => undefined);
  };
  process.on('SIGHUP', on);
  return () => process.off('SIGHUP', on);
}
