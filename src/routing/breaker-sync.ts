import { createHash } from 'node:crypto';
import type { DeploymentConfig } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { JsonValue } from '../core/types.js';
import type { StateStore } from '../state/store.js';
import type { BreakerSnapshot } from './breaker.js';
import type { DrainSnapshot } from './deployment-state.js';
import type { Deployment } from './router.js';
import { errorMessage } from '../core/error-trace.js';

/**
 * What a deployment's breaker and cool-down describe: the upstream it calls and how, as a short digest
 * (the key is in it: never in a store key as it is). A changed endpoint, model, provider, region,
 * credentials, headers or provider options is another upstream, whose state is not known: its keys are
 * others, so a replica (or a reload) on the new config never adopts the old upstream's open breaker,
 * and replicas still on the old one keep sharing theirs.
 */
export function upstreamDigest(d: DeploymentConfig): string {
  const upstream = JSON.stringify([d.provider, d.model, d.region ?? null, d.endpoint ?? null, d.api_key?.reveal() ?? null, d.headers, d.options]);
  return createHash('sha256').update(upstream).digest('base64url').slice(0, 16);
}

/** Store key of one deployment's breaker snapshot (`upstream`: its `upstreamDigest`). */
export const breakerKey = (id: string, upstream: string): string => `switchyard:breaker:${id}#${upstream}`;

/** Store key of one deployment's 429 cool-down: `{ until }`, a wall-clock time in ms. */
export const coolingKey = (id: string, upstream: string): string => `switchyard:cooling:${id}#${upstream}`;

/**
 * Where releases before `upstreamDigest` kept a deployment's breaker: by id alone (`#` is no id's, so
 * it is never a digest key). Read, never written, while replicas of both releases run (a rolling
 * upgrade), and only where no replica of this release has shared a state under the digest key: see
 * `suspectFromLegacy` for why what it says is taken as a suspicion, never as the state. Its cool-down
 * key is not read at all: a 429 costs one quick answer to learn again, while one adopted from another
 * upstream would refuse a healthy one for its whole retry-after (up to `max_cool_down_ms`). Drop in the
 * release after this one, when no replica writes it anymore.
 */
export const legacyBreakerKey = (id: string): string => `switchyard:breaker:${id}`;

/** Store key of one deployment's drain: a DrainSnapshot, kept until an undrain replaces it. */
export const drainKey = (id: string): string => `switchyard:drain:${id}`;

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

/**
 * What an earlier release's snapshot (keyed by id alone) says, made safe to act on: it cannot say which
 * upstream it saw, and during a rollout that also changes the deployment's endpoint it describes the
 * old one. Adopted as it is, an open breaker there would keep a healthy new upstream out of rotation for
 * the rest of its cool-off (minutes, when trips grew), the very mix-up the digest keys exist to prevent;
 * writing our states under it would do the same to the earlier release's replicas, which check nothing.
 * So only "not closed" is taken, and only by a closed breaker (`CircuitBreaker.suspect`): it goes
 * half-open, neither its trips, cool-off nor hold are taken, and one trial of this upstream decides.
 * When the earlier release saw this same upstream down, that is one failed trial instead of
 * `consecutive_failures` failures on each new replica; when it saw another one, a healthy upstream is
 * kept out for one trial's length only. Returns the snapshot's `changedAt`, or undefined.
 */
function suspectFromLegacy(v: JsonValue | undefined): number | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  return (v.state === 'open' || v.state === 'half-open') && typeof v.changedAt === 'number' ? v.changedAt : undefined;
}

function isDrainSnapshot(v: JsonValue | undefined): v is JsonValue & DrainSnapshot {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  return typeof v.drained === 'boolean' && typeof v.at === 'number' && (v.reason === null || typeof v.reason === 'string');
}

export interface BreakerSyncOptions {
  /** How often every deployment's snapshot is pulled (`routing.state_sync_ms`). */
  intervalMs: number;
  /** Lifetime of a published snapshot, so state no replica refreshes anymore expires. */
  ttlMs: number;
  logger: Logger;
}

/**
 * Shares breaker transitions, 429 cool-downs and drains between replicas through a StateStore. Each change is
 * written behind (a request never waits for it), and every `intervalMs` one read of all deployments'
 * keys adopts snapshots newer than the local breaker and cool-downs longer than the local one, so a
 * breaker opened or a 429 received on one replica excludes its deployment on the others within one
 * interval. Requests never touch the store.
 */
export class BreakerSync {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** The store failed and has not answered since: an outage is logged once, not at every pull and write. */
  private failing = false;
  private readonly digests = new Map<string, string>();

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
      this.store.setIfNewer(breakerKey(id, this.upstream(id)), snapshot, 'changedAt', this.options.ttlMs).then(this.answered, this.failed);
    };
  }

  /** The cool-down listener that publishes one deployment's 429 cool-downs; they expire with the wait. */
  coolingPublisher(id: string): (until: number, ms: number) => void {
    return (until, ms) => {
      this.store.setIfNewer(coolingKey(id, this.upstream(id)), { until }, 'until', ms).then(this.answered, this.failed);
    };
  }

  /** `upstreamDigest` of deployment `id`, once: the deployments are filled in after the publishers are made. */
  private upstream(id: string): string {
    let digest = this.digests.get(id);
    if (digest === undefined) {
      const d = this.deployments.get(id);
      digest = d ? upstreamDigest(d.config) : '';
      this.digests.set(id, digest);
    }
    return digest;
  }

  /** The drain listener that publishes one deployment's drains and undrains; they never expire. */
  drainPublisher(id: string): (drain: DrainSnapshot) => void {
    return (drain) => {
      this.store.setIfNewer(drainKey(id), { ...drain }, 'at').then(this.answered, this.failed);
    };
  }

  /** Pulls at once (adopting what other replicas or a previous run left), then every interval. */
  start(): void {
    if (this.timer) return;
    const tick = (): void => {
      this.pullOnce().catch(() => undefined); // logged by pullOnce
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

  /**
   * Reads every deployment's keys once and adopts the newer states; overlapping calls share one read.
   * Rejects when the store does; the first failure of an outage is logged here, and the recovery.
   */
  pullOnce(): Promise<void> {
    this.running ??= this.pull()
      .then(this.answered, (err: unknown) => {
        this.failed(err);
        throw err;
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private readonly answered = (): void => {
    if (!this.failing) return;
    this.failing = false;
    this.options.logger.info({}, 'state store answers again: breaker, cool-down and drain states shared again');
  };

  private readonly failed = (err: unknown): void => {
    if (this.failing) return;
    this.failing = true;
    this.options.logger.warn({ err: errorMessage(err) }, 'state store failed: this replica keeps its own breaker, cool-down and drain states until it answers');
  };

  private async pull(): Promise<void> {
    const list = [...this.deployments.values()];
    const n = list.length;
    const values = await this.store.getMany([
      ...list.map((d) => breakerKey(d.id, this.upstream(d.id))),
      ...list.map((d) => coolingKey(d.id, this.upstream(d.id))),
      ...list.map((d) => drainKey(d.id)),
      ...list.map((d) => legacyBreakerKey(d.id)),
    ]);
    list.forEach((d, i) => {
      const s = values[i];
      if (isBreakerSnapshot(s) && d.state.breaker.adopt(s)) {
        this.options.logger.info({ deployment: d.id, state: s.state, trips: s.trips, reason: s.reason }, 'breaker state adopted from the shared store');
      }
      const since = s === undefined ? suspectFromLegacy(values[3 * n + i]) : undefined;
      if (since !== undefined && d.state.breaker.suspect(since, 'replicas of an earlier release see it down: one trial decides')) {
        this.options.logger.info({ deployment: d.id, since }, 'breaker half-open: replicas of an earlier release (keyed by id alone) see the deployment down');
      }
      const c = values[n + i];
      if (typeof c === 'object' && c !== null && !Array.isArray(c) && typeof c.until === 'number' && d.state.adoptCooling(c.until)) {
        this.options.logger.info({ deployment: d.id, until: c.until }, 'rate-limit cool-down adopted from the shared store');
      }
      const drain = values[2 * n + i];
      if (isDrainSnapshot(drain) && d.state.adoptDrain({ drained: drain.drained, at: drain.at, reason: drain.reason })) {
        this.options.logger.info({ deployment: d.id, drained: drain.drained, reason: drain.reason }, 'drain adopted from the shared store');
      }
    });
  }
}
