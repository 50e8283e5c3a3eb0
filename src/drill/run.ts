import { systemClock } from '../core/clock.js';
import { toGatewayError } from '../core/errors.js';
import type { ChatRequest } from '../core/types.js';
import { estimatePromptTokens } from '../core/estimate.js';
import type { GatewayConfig } from '../config/schema.js';
import type { GatewayOptions } from '../gateway/api.js';
import { createGateway, type Gateway, type ServedBy } from '../gateway/gateway.js';
import { PriceBook } from '../ledger/pricing/price-book.js';
import { groupMembers, type GroupConfig } from '../routing/config.js';
import { runLoad, requestBudget } from './load.js';
import { measure, type DrillMetrics, type RequestSample } from './measure.js';
import { DrillRecorder, sampleRouting, WARMUP } from './record.js';
import { faultsOutside, faultWindows, type FaultWindow, type Scenario } from './scenario.js';
import type { FaultTarget } from './faults/inject.js';
import { findGroup, placeTargets } from './targets.js';
import { timeline, type TimelineBucket } from './timeline.js';

export interface DrillOptions {
  /** The config tree as read from YAML (env references not yet interpolated). */
  config: unknown;
  env?: Readonly<Record<string, string | undefined>>;
  group: string;
  scenario: Scenario;
  ratePerS: number;
  durationMs: number;
  /** False: the group's shadow share is left out for this run (to compare with and without it). */
  shadow?: boolean;
  /** `proxy`: put the fault proxy in front of simulators too (default: their fault API). */
  via?: 'auto' | 'proxy';
  /** A request still unanswered after this long counts as a timeout. */
  requestTimeoutMs?: number;
  /** How often breaker states are sampled. */
  sampleMs?: number;
  /** Finds the fault targets; `placeTargets` when absent (a spec hands in its own injector). */
  place?: typeof placeTargets;
  /** Supplies providers in-process, as `createGateway` takes them (a spec's fakes). */
  createProvider?: GatewayOptions['createProvider'];
}

/** What the drill will do, shown before it starts. */
export interface DrillPlan {
  group: string;
  scenario: string;
  ratePerS: number;
  durationMs: number;
  /** The most requests it sends under load. */
  requests: number;
  /** One unmeasured request per deployment first, so lazy provider loading and new connections do not count as "before". */
  warmupRequests: number;
  targets: Array<{ deployment: string; via: 'simulator' | 'proxy' }>;
  windows: FaultWindow[];
  shadowShare: number;
  /** Upper bound from the pricing catalog; undefined when a member is unpriced. */
  maxCostUsd: number | undefined;
}

export interface DrillResult {
  plan: DrillPlan;
  metrics: DrillMetrics;
  cost: { usd: number; shadowUsd: number; shadowUsdPerHour: number; unpricedAttempts: number };
  timeline: TimelineBucket[];
  /** The planned windows as injected: when each fault was in place, which is what `metrics` measure from. */
  faults: AppliedWindow[];
  /** Faults that could not be injected (the drill then measured less than it planned). */
  injectionErrors: string[];
}

/** A planned fault window and when it was really in place (ms from the start of the run). */
export interface AppliedWindow extends FaultWindow {
  /** When every target that took the fault had acknowledged it; undefined: no target took it. */
  appliedAtMs: number | undefined;
  /** When it ends as the targets count it: the time left to the planned end when sent, from the acknowledgement. */
  appliedToMs: number | undefined;
}

export interface PreparedDrill {
  plan: DrillPlan;
  run(): Promise<DrillResult>;
  /** Stops fault proxies and the gateway; always call it. */
  close(): Promise<void>;
}

const MAX_TOKENS = 32;
const drillRequest = (model: string): ChatRequest => ({
  model,
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Disaster-recovery drill: please answer briefly.' }] }],
  maxOutputTokens: MAX_TOKENS,
});

/** The dearest of `ids`' most expensive answer to the drill's request (NaN when one is unpriced). */
function mostPerCall(config: GatewayConfig, ids: readonly string[], prices: PriceBook, request: ChatRequest): number {
  const costs = ids.map((id) => {
    const d = config.deployments.find((x) => x.id === id);
    return d ? prices.maxCost({ deployment: d.id, provider: d.provider, model: d.model, region: d.region }, estimatePromptTokens(request), MAX_TOKENS) : undefined;
  });
  return costs.some((c) => c === undefined) ? Number.NaN : Math.max(...(costs as number[]));
}

/** The deployments a request of `group` may be mirrored to: its `shadow.deployments` (a group's name: its members), or its members. */
function shadowPool(config: GatewayConfig, group: GroupConfig, members: readonly string[]): string[] {
  const names = group.shadow?.deployments;
  if (!names) return [...members];
  const named = names.flatMap((n) => {
    const g = config.groups.find((x) => x.name === n);
    return g ? groupMembers(g).map((m) => m.id) : [n];
  });
  return [...new Set(named)];
}

/**
 * The most a drill of `requests` on `group` can cost from the pricing catalog (undefined when a
 * deployment it may call is unpriced): each request and each warm-up at the dearest member's longest
 * answer, and with a shadow share, each request mirrored to every standby but the one serving it, at
 * the dearest standby's. The share is each request's chance of a copy, not a cap: only every request
 * copied is a bound.
 */
export function drillCostCeiling(config: GatewayConfig, group: GroupConfig, requests: number): number | undefined {
  const members = groupMembers(group).map((m) => m.id);
  const pool = (group.shadow?.share ?? 0) > 0 ? shadowPool(config, group, members) : [];
  // The serving member is never its own copy's target; a member outside the pool leaves the pool whole.
  const copies = members.every((m) => pool.includes(m)) ? pool.length - 1 : pool.length;
  const prices = PriceBook.fromConfig(config.pricing, config.deployments);
  const request = drillRequest(group.name);
  const own = mostPerCall(config, members, prices, request) * (requests + members.length);
  const ceiling = copies > 0 ? own + mostPerCall(config, pool, prices, request) * requests * copies : own;
  return Number.isNaN(ceiling) ? undefined : ceiling;
}

/**
 * Why a drill with these settings would prove nothing (no load, or no fault inside the run), or
 * undefined: such a drill would otherwise pass every SLO without testing anything.
 */
export function drillProblem(options: Pick<DrillOptions, 'ratePerS' | 'durationMs' | 'scenario'>): string | undefined {
  const { ratePerS, durationMs, scenario } = options;
  if (!(ratePerS > 0)) return `the rate must be above 0 requests per second (got ${ratePerS}): a drill without load measures nothing`;
  if (!(durationMs > 0)) return `the duration must be above 0 (got ${durationMs} ms): a drill without load measures nothing`;
  if (requestBudget(ratePerS, durationMs) === 0) return `at ${ratePerS}/s for ${durationMs / 1000} s the drill would send no request: a drill without load measures nothing`;
  if (faultWindows(scenario, durationMs).length === 0) {
    return `no fault of scenario "${scenario.name}" (${faultsOutside(scenario, durationMs).join(', ')}) falls inside the ${durationMs / 1000} s run: the drill would inject nothing; lengthen the duration or move the faults`;
  }
  return undefined;
}

/** Builds the in-process gateway and the fault targets, and computes the plan (with its cost ceiling). */
export async function prepareDrill(options: DrillOptions): Promise<PreparedDrill> {
  const problem = drillProblem(options);
  if (problem !== undefined) throw new Error(problem);
  const env = options.env ?? {};
  const placed = await (options.place ?? placeTargets)(options.config, env, options.group, options.scenario, { shadow: options.shadow ?? true, via: options.via ?? 'auto' });
  const { config, targets } = placed;
  const group = findGroup(config, options.group);
  const members = groupMembers(group).map((m) => m.id);
  const prices = PriceBook.fromConfig(config.pricing, config.deployments);
  const request = drillRequest(group.name);
  const stream = options.scenario.stream;
  const requests = requestBudget(options.ratePerS, options.durationMs);
  const targetIds = targets.map((t) => t.deployment);
  const plan: DrillPlan = {
    group: group.name,
    scenario: options.scenario.name,
    ratePerS: options.ratePerS,
    durationMs: options.durationMs,
    requests,
    warmupRequests: members.length,
    targets: targets.map((t) => ({ deployment: t.deployment, via: t.via })),
    windows: faultWindows(options.scenario, options.durationMs),
    shadowShare: group.shadow?.share ?? 0,
    maxCostUsd: drillCostCeiling(config, group, requests),
  };

  const recorder = new DrillRecorder(prices, targetIds, plan.windows[0]?.fromMs ?? Infinity);
  const gateway = createGateway(config, { observers: [recorder], ...(options.createProvider && { createProvider: options.createProvider }) });

  return {
    plan,
    async run() {
      await Promise.all(members.map((id) => gateway.chat(request, { override: id, requestId: `${WARMUP}${id}`, signal: AbortSignal.timeout(options.requestTimeoutMs ?? 10_000) }).catch(() => undefined)));
      const t0 = Date.now();
      recorder.start(t0);
      const routing = sampleRouting(gateway, members, t0, options.sampleMs ?? 100);
      const injectionErrors: string[] = [];
      const elapsed = (): number => Date.now() - t0;
      const faults: AppliedWindow[] = plan.windows.map((w) => ({ ...w, appliedAtMs: undefined, appliedToMs: undefined }));
      const injecting: Array<Promise<void>> = [];
      // Each window ends on its own (targets time it), so overlapping windows do not end each other.
      const timers = plan.windows.map((w, i) =>
        setTimeout(() => {
          injecting.push(injectWindow(w, targets, elapsed, injectionErrors).then((applied) => void (faults[i] = applied)));
        }, w.fromMs),
      );
      const raw: Array<Omit<RequestSample, 'attempts'> & { id: string }> = [];
      try {
        await runLoad({
          ratePerS: options.ratePerS,
          durationMs: options.durationMs,
          // The timers the fault windows and routing samples use, so one clock paces the whole run.
          wait: (ms) => systemClock.sleep(ms),
          send: async (i) => {
            const id = `drill-${i}`;
            const startMs = Date.now() - t0;
            const outcome = await sendOne(gateway, request, stream, id, options.requestTimeoutMs ?? 10_000);
            raw.push({ id, startMs, endMs: Date.now() - t0, ...outcome });
          },
        });
      } finally {
        routing.stop();
        timers.forEach(clearTimeout);
      }
      await Promise.all(injecting);
      const samples: RequestSample[] = raw.map(({ id, ...r }) => ({ ...r, ...recorder.tally(id) }));
      const cost = { ...recorder.cost, shadowUsdPerHour: recorder.cost.shadowUsd / (options.durationMs / 3_600_000) };
      const breakers = routing.samples;
      return {
        plan,
        metrics: measure({ requests: samples, breakers, windows: inPlace(faults), targets: targetIds, firstFailureMs: recorder.firstFailureMs }),
        cost,
        timeline: timeline(samples, breakers, targetIds, options.durationMs),
        faults,
        injectionErrors,
      };
    },
    async close() {
      await gateway.close();
      await Promise.all(targets.map((t) => t.close()));
    },
  };
}

/**
 * Injects `window` into `targets` now (`elapsed()` ms into the run), for the time left to its planned
 * end: a target counts a fault's duration from when it gets it, and the timer and the call run late
 * under load. The fault is in place once acknowledged; a failure is added to `errors`.
 */
export async function injectWindow(window: FaultWindow, targets: ReadonlyArray<Pick<FaultTarget, 'apply'>>, elapsed: () => number, errors: string[]): Promise<AppliedWindow> {
  const sentAtMs = elapsed();
  const leftMs = window.toMs - sentAtMs;
  if (leftMs <= 0) {
    errors.push(`the fault window ${window.fromMs}-${window.toMs} ms had passed (${sentAtMs} ms into the run) before it could be injected`);
    return { ...window, appliedAtMs: undefined, appliedToMs: undefined };
  }
  const settled = await Promise.allSettled(targets.map((t) => t.apply(window.effect, leftMs)));
  for (const s of settled) if (s.status === 'rejected') errors.push((s.reason as Error).message);
  if (!settled.some((s) => s.status === 'fulfilled')) return { ...window, appliedAtMs: undefined, appliedToMs: undefined };
  const appliedAtMs = elapsed();
  return { ...window, appliedAtMs, appliedToMs: appliedAtMs + leftMs };
}

/** The faults as they were in place, by start: what the drill measures from. */
function inPlace(faults: readonly AppliedWindow[]): FaultWindow[] {
  return faults
    .flatMap((f) => (f.appliedAtMs === undefined || f.appliedToMs === undefined ? [] : [{ fromMs: f.appliedAtMs, toMs: f.appliedToMs, effect: f.effect }]))
    .sort((a, b) => a.fromMs - b.fromMs);
}

async function sendOne(gateway: Gateway, request: ChatRequest, stream: boolean, requestId: string, timeoutMs: number): Promise<{ ok: boolean; errorKind: string | undefined; deployment: string | undefined }> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    let servedBy: ServedBy;
    if (stream) {
      const result = await gateway.stream(request, { requestId, signal });
      // Errors after the first content (a cut stream) throw from the parts.
      for await (const part of result.parts) void part;
      servedBy = result.servedBy;
    } else servedBy = (await gateway.chat(request, { requestId, signal })).servedBy;
    return { ok: true, errorKind: undefined, deployment: servedBy.deployment };
  } catch (err) {
    return { ok: false, errorKind: signal.aborted ? 'timeout' : toGatewayError(err).kind, deployment: undefined };
  }
}
