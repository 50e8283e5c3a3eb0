import type { CancelSignal } from '../core/cancel.js';
import { toGatewayError } from '../core/errors.js';
import type { GatewayStatus } from '../gateway/engine.js';
import type { HttpResponse } from '../http/exchange.js';
import type { StreamListener } from '../http/sse.js';
import type { LedgerStore } from '../ledger/store/sql-store.js';
import type { BreakerState } from '../routing/breaker.js';
import type { LatencySummary } from '../routing/deployment-state.js';
import { dailyChartSvg } from '../ledger/report/html.js';

/**
 * What the dashboard reads: the gateway's live status (under `serve --workers`, every worker's combined
 * by the primary, carrying `workers`) and, when there is one, the ledger.
 */
export interface DashboardSource {
  gateway: { status(): GatewayStatus | Promise<GatewayStatus> };
  ledger: { store: LedgerStore | undefined };
}

/** One deployment's row on the dashboard. */
export interface DashboardDeployment {
  id: string;
  provider: string;
  model: string;
  region: string | null;
  /** In health, breaker closed or trying, and not drained (a 429 cool-down does not make it down). */
  up: boolean;
  /** Taken out of routing by an operator or an interruption notice. */
  drained: boolean;
  drainReason: string | null;
  /** Until when (epoch ms) a 429 or a used-up quota keeps it out of rotation; null when not cooling. */
  coolingUntil: number | null;
  breaker: BreakerState;
  breakerReason: string | null;
  latencyMs: LatencySummary | null;
  ttftMs: LatencySummary | null;
  errorRate: number;
  inFlight: number;
  requests: number;
}

/** Costs and failovers, from the ledger (absent when the ledger is disabled). */
export interface DashboardLedger {
  /** Retries and fallbacks in the last hour (shadow copies are no failover). */
  failoversLastHour: number;
  costToday: Array<{ provider: string; usd: number; unpricedAttempts: number }>;
  /** The daily cost per provider of the last 14 days, as the report's SVG chart. */
  dailyChartSvg: string;
}

/** The JSON document each SSE frame carries. */
export interface DashboardSnapshot {
  at: number;
  deployments: DashboardDeployment[];
  regions: Array<{ region: string; up: number; total: number }>;
  /** Under `serve --workers` only: the workers whose figures the frame holds. */
  workers?: GatewayStatus['workers'];
  ledger: DashboardLedger | null;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;
const CHART_DAYS = 14;

/** The live part of a snapshot: cheap, from in-memory state. */
export function liveSnapshot(status: GatewayStatus): Omit<DashboardSnapshot, 'ledger'> {
  const deployments = status.deployments.map((d) => ({
    id: d.id,
    provider: d.provider,
    model: d.model,
    region: d.region ?? null,
    up: d.health.up && d.breaker.state !== 'open' && !d.drain.drained,
    drained: d.drain.drained,
    drainReason: d.drain.drained ? d.drain.reason : null,
    coolingUntil: d.coolingUntil ?? null,
    breaker: d.breaker.state,
    breakerReason: d.breaker.reason,
    latencyMs: d.latencyMs ?? null,
    ttftMs: d.ttftMs ?? null,
    errorRate: d.errorRate,
    inFlight: d.inFlight,
    requests: d.requests,
  }));
  const regions = new Map<string, { up: number; total: number }>();
  for (const d of deployments) {
    const r = regions.get(d.region ?? 'unspecified') ?? { up: 0, total: 0 };
    r.total += 1;
    if (d.up) r.up += 1;
    regions.set(d.region ?? 'unspecified', r);
  }
  const sorted = [...regions].map(([region, r]) => ({ region, ...r })).sort((a, b) => a.region.localeCompare(b.region));
  return { at: status.at, deployments, regions: sorted, ...(status.workers && { workers: status.workers }) };
}

/** The ledger part of a snapshot: three grouped queries, so the feed refreshes it less often. */
export async function ledgerSnapshot(store: LedgerStore, now: number): Promise<DashboardLedger> {
  const today = Math.floor(now / DAY) * DAY;
  const chartFrom = today - (CHART_DAYS - 1) * DAY;
  const [hour, providers, daily] = await Promise.all([
    store.summarize({ from: now - HOUR, to: now + 1, groupBy: ['role'] }),
    store.summarize({ from: today, to: today + DAY, groupBy: ['provider'] }),
    store.summarize({ from: chartFrom, to: today + DAY, groupBy: ['day', 'provider'] }),
  ]);
  const range = { from: new Date(chartFrom).toISOString(), to: new Date(today + DAY).toISOString() };
  return {
    failoversLastHour: hour.reduce((n, r) => (r.keys.role === 'retry' || r.keys.role === 'fallback' ? n + r.attempts : n), 0),
    costToday: providers.map((r) => ({ provider: r.keys.provider ?? 'unknown', usd: r.costUsd, unpricedAttempts: r.unpricedAttempts })).sort((a, b) => b.usd - a.usd),
    dailyChartSvg: dailyChartSvg(range, daily),
  };
}

export interface SnapshotOptions {
  /** A live status younger than this is shared with the feeds asking for one (half the frame interval). */
  freshMs?: number;
  /** The ledger part is queried at most this often; frames in between repeat the last answer. */
  ledgerEveryMs?: number;
  now?: () => number;
}

type LivePart = Omit<DashboardSnapshot, 'ledger'>;

/**
 * The snapshots every open dashboard of an app reads: however many pages are open, the status is asked
 * for at most once per `freshMs` (under `serve --workers` each ask is an IPC round to every worker) and
 * the ledger's grouped queries run at most once per `ledgerEveryMs`. Asks while one is under way share it.
 */
export class DashboardSnapshots {
  private live: LivePart | undefined;
  private liveAt = -Infinity;
  private livePending: Promise<LivePart> | undefined;
  private ledger: DashboardLedger | null = null;
  private ledgerAt = -Infinity;
  private ledgerPending: Promise<DashboardLedger | null> | undefined;
  private readonly freshMs: number;
  private readonly ledgerEveryMs: number;
  private readonly now: () => number;

  constructor(
    private readonly source: DashboardSource,
    options: SnapshotOptions = {},
  ) {
    this.freshMs = options.freshMs ?? 500;
    this.ledgerEveryMs = options.ledgerEveryMs ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  async snapshot(): Promise<DashboardSnapshot> {
    const [ledger, live] = await Promise.all([this.ledgerPart(), this.livePart()]);
    return { ...live, ledger };
  }

  private ledgerPart(): Promise<DashboardLedger | null> {
    if (this.ledgerPending) return this.ledgerPending;
    const store = this.source.ledger.store;
    const now = this.now();
    if (!store || now - this.ledgerAt < this.ledgerEveryMs) return Promise.resolve(this.ledger);
    this.ledgerAt = now;
    // A failing ledger query must not end the live view: the last figures stay until the next try.
    const pending = ledgerSnapshot(store, now).catch(() => this.ledger);
    this.ledgerPending = pending.then((ledger) => {
      this.ledger = ledger;
      this.ledgerPending = undefined;
      return ledger;
    });
    return this.ledgerPending;
  }

  private livePart(): Promise<LivePart> {
    if (this.livePending) return this.livePending;
    const now = this.now();
    if (this.live && now - this.liveAt < this.freshMs) return Promise.resolve(this.live);
    // A combined status the primary could not give (it answers within 2 s or the call fails) repeats
    // the last live part; with none to repeat the frame fails, and the page reconnects.
    const pending = (async () => {
      try {
        this.live = liveSnapshot(await this.source.gateway.status());
        this.liveAt = now;
      } catch (err) {
        if (!this.live) throw err;
      }
      return this.live;
    })();
    this.livePending = pending;
    const settled = (): void => {
      this.livePending = undefined;
    };
    pending.then(settled, settled);
    return pending;
  }
}

export interface FeedOptions {
  /** Time between frames (one timer per connected dashboard). */
  intervalMs?: number;
  /** Told once when the feed has ended (the request's access log line is written then). */
  listener?: StreamListener;
  /**
   * Checked before every frame after the first: throws (a GatewayError) once the caller may no longer
   * read the feed (its key revoked, expired or no longer an admin's), which ends it.
   */
  recheck?: () => void;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * SSE frames of snapshots: the first at once, then one per interval. The timer runs only while the
 * client is connected: `return()` (the adapter's call when the client goes away) or the signal stops it.
 */
export class SnapshotFeed implements AsyncIterableIterator<string> {
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private done = false;
  private ended = false;
  private first = true;
  private readonly intervalMs: number;
  private readonly listener: StreamListener | undefined;
  private readonly recheck: (() => void) | undefined;

  constructor(
    private readonly snapshots: DashboardSnapshots,
    signal: CancelSignal,
    options: FeedOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 1_000;
    this.listener = options.listener;
    this.recheck = options.recheck;
    if (signal.aborted) this.done = true;
    else signal.addEventListener('abort', () => void this.return(), { once: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<string>> {
    if (!this.first && !this.done) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, this.intervalMs);
      });
    }
    if (this.done) return this.end();
    if (!this.first && this.recheck) {
      try {
        this.recheck();
      } catch (err) {
        // The page reconnects, and is asked for a key again.
        this.done = true;
        return this.end(toGatewayError(err).kind);
      }
    }
    const prefix = this.first ? 'retry: 2000\n' : '';
    this.first = false;
    return { done: false, value: `${prefix}data: ${JSON.stringify(await this.snapshots.snapshot())}\n\n` };
  }

  async return(): Promise<IteratorResult<string>> {
    this.done = true;
    clearTimeout(this.timer);
    this.wake?.();
    return this.end();
  }

  private end(errorKind?: string): IteratorReturnResult<undefined> {
    if (!this.ended) {
      this.ended = true;
      this.listener?.streamEnded(errorKind);
    }
    return DONE;
  }
}

/** GET /dashboard/events: the live snapshot stream (the caller has checked the admin key). */
export function dashboardEvents(snapshots: DashboardSnapshots, signal: CancelSignal, options: FeedOptions = {}): HttpResponse {
  return {
    status: 200,
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', 'x-accel-buffering': 'no' },
    body: new SnapshotFeed(snapshots, signal, options),
  };
}
