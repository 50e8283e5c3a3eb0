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

/** Where `serve` is in its life, as far as a SIGHUP is concerned. */
type Phase = 'starting' | 'serving' | 'shutting down';

/**
 * The SIGHUP listener of `serve` from its first line to its exit. Node's default action for SIGHUP ends
 * the process (exit 129, no ledger flush, streams cut), so the listener is there the whole time: while
 * serving a SIGHUP reloads (failures are logged by the reload; the running config stays); while starting
 * (the config is being read anyway) or shutting down (nothing new is served) it is logged and ignored.
 */
export class SighupReloads {
  private phase: Phase = 'starting';
  private reload: (() => Promise<unknown>) | undefined;
  private readonly on = (): void => {
    if (this.phase !== 'serving' || !this.reload) return this.note(`reload ignored: ${this.phase}`);
    this.note('reloading the config');
    this.reload().catch(() => undefined);
  };

  /** `note` logs what a SIGHUP did (the config's logger once there is one). */
  constructor(private readonly note: (message: string) => void) {
    process.on('SIGHUP', this.on);
  }

  /** From now on each SIGHUP runs `reload`. */
  serve(reload: () => Promise<unknown>): void {
    this.reload = reload;
    this.phase = 'serving';
  }

  /**
   * Runs `reload` asked for otherwise than by a signal (the primary, for another worker's admin reload)
   * as a SIGHUP would be: only while serving, else refused saying why.
   */
  whileServing<T>(reload: () => Promise<T>): Promise<T> {
    if (this.phase !== 'serving') return Promise.reject(new Error(`reload ignored: ${this.phase}`));
    return reload();
  }

  /** From now on SIGHUPs are ignored: a drain runs to its end. */
  shutDown(): void {
    this.phase = 'shutting down';
  }

  /** Removes the listener (for a caller that installs its own, and tests). */
  close(): void {
    process.off('SIGHUP', this.on);
  }
}
