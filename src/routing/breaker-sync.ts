import type { Logger } from '../core/logger.js';
import type { JsonValue } from '../core/types.js';
import type { StateStore } from '../state/store.js';
import type { BreakerSnapshot } from './breaker.js';
import type { Deployment } from './router.js';

/** Store key of one deployment's breaker snapshot. */
export const breakerKey = (id: string): string => `switchyard:breaker:${id}`;

const STATES: ReadonlySet<unknown> = new Set(['closed', 'open', 'half-open']);

/** True for a well-formed snapshot (another version of Switchyard, or a hand edit, may have written junk). */
export function isBreakerSnapshot(v: JsonValue | undefined): v is BreakerSnapshot {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  return (
    STATES.has(v.state) &&
    typeof v.openedAt === 'number' &&
    typeof v.coolOffMs === 'number' &&
    typeof v.trips === 'number' &&
    typeof v.changedAt === 'number' &&
    typeof v.held === 'boolean' &&
    (v.recoveredAt === null || typeof v.recoveredAt === 'number') &&
    (v.reason === null || typeof v.reason === 'string')
  );
}

export interface BreakerSyncOptions {
  /** How often every deployment's snapshot is pulled (`routing.state_sync_ms`). */
  intervalMs: number;
  /** Lifetime of a published snapshot, so state no replica refreshes anymore expires. */
  ttlMs: number;
  logger: Logger;
}

/**
 * Shares breaker transitions between replicas through a StateStore. Each transition is written behind
 * (a request never waits for it), and every `intervalMs` one read of all deployments' snapshots adopts
 * those newer than the local breaker, so a breaker opened on one replica excludes its deployment on
 * the others within one interval. Requests never touch the store.
 */
export class BreakerSync {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly store: StateStore,
    /** Filled by the engine after construction: publishers are needed to build the deployments. */
    private readonly deployments: ReadonlyMap<string, Deployment>,
    private readonly options: BreakerSyncOptions,
  ) {}

  /** The breaker listener that publishes one deployment's transitions. */
  publisher(id: string): (snapshot: BreakerSnapshot) => void {
    return (snapshot) => {
      // Conditional: a replica that noticed a transition late must not overwrite a newer one.
      this.store.setIfNewer(breakerKey(id), snapshot, 'changedAt', this.options.ttlMs).catch((err: unknown) => this.options.logger.warn({ err: (err as Error).message, deployment: id }, 'state store write failed'));
    };
  }

  /** Pulls at once (adopting what other replicas or a previous run left), then every interval. */
  start(): void {
    if (this.timer) return;
    const tick = (): void => {
      this.pullOnce().catch((err: unknown) => this.options.logger.warn({ err: (err as Error).message }, 'state store read failed'));
    };
    tick();
    this.timer = setInterval(tick, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Reads every deployment's snapshot once and adopts the newer ones; overlapping calls share one read. */
  pullOnce(): Promise<void> {
    this.running ??= this.pull().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pull(): Promise<void> {
    const list = [...this.deployments.values()];
    const snapshots = await this.store.getMany(list.map((d) => breakerKey(d.id)));
    list.forEach((d, i) => {
      const s = snapshots[i];
      if (isBreakerSnapshot(s) && d.state.breaker.adopt(s)) {
        this.options.logger.info({ deployment: d.id, state: s.state, trips: s.trips, reason: s.reason }, 'breaker state adopted from the shared store');
      }
    });
  }
}
