import { GatewayError } from '../core/errors.js';
import { echoed } from '../core/json.js';
import type { Provider } from '../core/provider.js';
import type { DeploymentConfig, GatewayConfig } from '../config/schema.js';
import { groupMembers, type GroupConfig } from './config.js';
import { accessFor, type Access } from './access.js';
import type { DeploymentState } from './deployment-state.js';
import { availableAt, firstFailedStage, Stage, type Needs } from './filters.js';
import { filterError } from './filter-errors.js';
import { createStrategy, type Candidate, type Strategy, type StrategyContext } from './strategies/index.js';

/** A configured deployment with its live provider and run-time state. */
export interface Deployment {
  readonly id: string;
  readonly config: DeploymentConfig;
  readonly provider: Provider;
  readonly state: DeploymentState;
}

export interface ResolvedGroup {
  readonly config: GroupConfig;
  readonly members: readonly Candidate[];
  readonly strategy: Strategy;
  readonly ctx: StrategyContext;
  /** Special fallbacks, flattened to deployments in configured order. */
  readonly special: { readonly context_window_exceeded: readonly Deployment[]; readonly content_filtered: readonly Deployment[] };
  readonly shadow: readonly Deployment[] | undefined;
}

export interface RouteRequest {
  model: string;
  needs: Needs;
  /** Explicit deployment choice (header `x-switchyard-deployment` or body `switchyard.deployment`). */
  override?: string | undefined;
  /** Where the override came from, named by its refusal (default `x-switchyard-deployment`). */
  overrideParam?: string | undefined;
  /** Task type (header `x-switchyard-task`), used when the model is `default`. */
  task?: string | undefined;
  /** What the caller (its API key) may route to; the config's defaults when absent. */
  access?: Access | undefined;
}

/**
 * A member ranked ahead of a plan's first deployment that the plan dropped for its standing (breaker
 * open, cooling down after a 429 or at its quota, drained): that deployment serves in its place, a
 * failover the executor records as a fallback `from` it with this `cause`.
 */
export interface StandIn {
  readonly from: Deployment;
  readonly cause: 'circuit_open' | 'rate_limited' | 'drained';
}

/**
 * A plan's deployments in the order they should be tried; `standIn` is set only when a ranked group
 * dropped a member ahead of the first. Carried on the list the executor walks, so it reaches every
 * execution of the plan (chat, stream, embed) as that list does.
 */
export type Planned = Deployment[] & { standIn?: StandIn };

export interface RoutePlan {
  group: ResolvedGroup | undefined;
  /** Deployments in the order they should be tried. */
  deployments: Planned;
  /** An explicit override: no fallback, and an open breaker does not refuse it. */
  pinned: boolean;
}

export interface RouterOptions {
  random: () => number;
  now: () => number;
  /** Price of a deployment (e.g. from the ledger's catalog); the group's `price` hint is the fallback. */
  priceOf?: ((deploymentId: string) => number | undefined) | undefined;
  failback: { start_share: number };
  unknownModelToDefault: boolean;
  defaultGroup: string | undefined;
}

type SpecialKind = 'context_window_exceeded' | 'content_filtered';

/**
 * Filter stages that drop a member for its standing rather than for what the request needs, by the
 * cause a failover past it is recorded with (the executor's words when it skips one itself).
 */
const STANDING: Partial<Record<Stage, StandIn['cause']>> = {
  [Stage.Drained]: 'drained',
  [Stage.Health]: 'circuit_open',
  [Stage.Cooling]: 'rate_limited',
  [Stage.Quota]: 'rate_limited',
};

/**
 * Turns a request into the ordered deployments that may serve it: resolves the model (group, alias,
 * task, deployment id, default group), filters (residency, capabilities, context window, health),
 * orders by the group's strategy, lets recovering deployments ramp back, and prefers provisioned
 * capacity while it lasts.
 */
export class Router {
  private readonly groups = new Map<string, ResolvedGroup>();
  private readonly byName = new Map<string, ResolvedGroup>();
  private readonly byTask = new Map<string, ResolvedGroup>();
  /** Access of callers without an API key of their own. */
  private readonly defaultAccess: Access;

  constructor(
    config: GatewayConfig,
    private readonly deployments: ReadonlyMap<string, Deployment>,
    private readonly options: RouterOptions,
  ) {
    const latency = (id: string): number | undefined => deployments.get(id)?.state.ewmaMs;
    const inFlight = (id: string): number => deployments.get(id)?.state.inFlight ?? 0;
    for (const g of config.groups) {
      // A member's price hint is its group's: two groups may price one deployment differently.
      const hints = new Map(groupMembers(g).flatMap((m) => (m.price === undefined ? [] : [[m.id, m.price] as const])));
      const price = (id: string): number | undefined => options.priceOf?.(id) ?? hints.get(id);
      const ctx: StrategyContext = { random: options.random, latency, inFlight, price, exploration: g.exploration ?? 0 };
      const resolved: ResolvedGroup = {
        config: g,
        members: groupMembers(g).map((m) => ({ id: m.id, weight: m.weight })),
        strategy: createStrategy(g.strategy),
        ctx,
        special: { context_window_exceeded: [], content_filtered: [] },
        shadow: undefined,
      };
      this.groups.set(g.name, resolved);
      for (const name of [g.name, ...g.aliases]) this.byName.set(name, resolved);
      for (const task of g.tasks) {
        if (this.byTask.has(task)) throw configProblem(`task "${task}" is served by two groups`);
        this.byTask.set(task, resolved);
      }
    }
    // Second pass: special fallbacks and shadows may name groups defined later.
    for (const g of this.groups.values()) {
      const special = g.special as { context_window_exceeded: Deployment[]; content_filtered: Deployment[] };
      for (const kind of ['context_window_exceeded', 'content_filtered'] as const) {
        special[kind] = onceEach(g.config.fallbacks[kind].flatMap((name) => this.targets(name, `groups.${g.config.name}.fallbacks.${kind}`)));
      }
      if (g.config.shadow?.deployments) {
        (g as { shadow: readonly Deployment[] | undefined }).shadow = onceEach(g.config.shadow.deployments.flatMap((name) => this.targets(name, `groups.${g.config.name}.shadow`)));
      }
    }
    if (options.defaultGroup !== undefined && !this.groups.has(options.defaultGroup)) throw configProblem(`default_group "${options.defaultGroup}" is not a group`);
    this.defaultAccess = accessFor(config);
  }

  private targets(name: string, where: string): Deployment[] {
    const group = this.groups.get(name);
    if (group) return group.members.map((m) => this.deployment(m.id));
    const d = this.deployments.get(name);
    if (!d) throw configProblem(`${where}: "${name}" is neither a group nor a deployment`);
    return [d];
  }

  private deployment(id: string): Deployment {
    const d = this.deployments.get(id);
    if (!d) throw configProblem(`unknown deployment "${id}"`);
    return d;
  }

  /** Every model name a caller without an API key may ask for: group names, aliases, direct deployments. */
  modelNames(): readonly string[] {
    return this.defaultAccess.models;
  }

  group(name: string): ResolvedGroup | undefined {
    return this.groups.get(name);
  }

  /**
   * Which group or deployment a model name means, if the caller may use it. Group names and aliases
   * first, then deployment ids; `default` (unless a group claims it) picks the task's group or
   * `default_group`; other unknown names fail with model_not_found unless
   * `routing.unknown_model_to_default` is set.
   */
  resolve(model: string, task: string | undefined, access: Access = this.defaultAccess): ResolvedGroup | Deployment {
    const named = this.byName.get(model);
    if (named) return allowed(named, access, model);
    const direct = this.deployments.get(model);
    if (direct) return direct;
    if (model === 'default' || this.options.unknownModelToDefault) {
      if (task !== undefined) {
        const byTask = this.byTask.get(task);
        if (!byTask) throw new GatewayError({ kind: 'invalid_request', message: `No group serves the task '${task}'.`, param: 'x-switchyard-task', code: 'unknown_task' });
        return allowed(byTask, access, model);
      }
      const fallback = this.options.defaultGroup === undefined ? undefined : this.groups.get(this.options.defaultGroup);
      if (fallback) return allowed(fallback, access, model);
    }
    throw new GatewayError({
      kind: 'not_found',
      message: `The model '${echoed(model, 64)}' does not exist. Ask GET /v1/models for the available names.`,
      param: 'model',
      code: 'model_not_found',
    });
  }

  plan(req: RouteRequest): RoutePlan {
    const access = req.access ?? this.defaultAccess;
    const target = this.resolve(req.model, req.task, access);
    if (!isGroup(target)) return this.direct(req, target, access);
    const group = target;
    if (req.override !== undefined) return this.pinned(req, group);
    const now = this.options.now();
    const survivors: Candidate[] = [];
    let furthest: Stage = Stage.Residency;
    let retryAt = Number.POSITIVE_INFINITY;
    // Members dropped for their standing, only kept where the order is a ranking (none: no allocation).
    let dropped: Map<string, Stage> | undefined;
    for (const m of group.members) {
      const d = this.deployments.get(m.id) as Deployment;
      const stage = firstFailedStage(d, req.needs, now, true);
      if (stage === Stage.Passed) survivors.push(m);
      else {
        if (stage > furthest) furthest = stage;
        retryAt = Math.min(retryAt, availableAt(d, stage, now) ?? retryAt);
        if (group.strategy.ranked && STANDING[stage] !== undefined) (dropped ??= new Map()).set(m.id, stage);
      }
    }
    if (survivors.length === 0) {
      if (furthest === Stage.ContextWindow && group.special.context_window_exceeded.length > 0) {
        return { group, deployments: this.filter(group.special.context_window_exceeded, req.needs, now, true, req.model), pinned: false };
      }
      throw filterError(furthest, req.needs, group.config.name, retryAt - now);
    }
    const ordered = survivors.length === 1 ? survivors : group.strategy.order(survivors, group.ctx);
    const deployments: Planned = this.arrange(ordered, now);
    if (dropped) {
      const standIn = this.standIn(group, dropped, deployments[0] as Deployment);
      if (standIn) deployments.standIn = standIn;
    }
    return { group, deployments, pinned: false };
  }

  /** The highest-ranked dropped member when it ranks ahead of `first` (the one that will serve). */
  private standIn(group: ResolvedGroup, dropped: ReadonlyMap<string, Stage>, first: Deployment): StandIn | undefined {
    for (const m of group.strategy.order(group.members, group.ctx)) {
      if (m.id === first.id) return undefined;
      const stage = dropped.get(m.id);
      if (stage !== undefined) return { from: this.deployments.get(m.id) as Deployment, cause: STANDING[stage] as StandIn['cause'] };
    }
    return undefined;
  }

  /** Deployments of a special fallback for `kind`, filtered like any other candidate; `tried` excluded. */
  special(plan: RoutePlan, kind: SpecialKind, needs: Needs, tried: ReadonlySet<string>): Deployment[] {
    const list = plan.group?.special[kind];
    if (!list || list.length === 0) return [];
    const now = this.options.now();
    // Special fallbacks exist for the error that sent us there: a bigger-context model need not pass
    // the context filter estimate the first one failed at, but residency and health still apply.
    const relaxed: Needs = kind === 'context_window_exceeded' ? { ...needs, promptTokens: 0 } : needs;
    return list.filter((d) => !tried.has(d.id) && firstFailedStage(d, relaxed, now, true) === Stage.Passed);
  }

  /**
   * Where a broken stream may go on: the plan's deployments not yet tried, in planned order, that pass
   * every filter now (residency, capabilities, the longer prompt's context window, breaker, cool-down).
   */
  resumeTargets(plan: RoutePlan, needs: Needs, tried: ReadonlySet<string>): Deployment[] {
    const now = this.options.now();
    return plan.deployments.filter((d) => !tried.has(d.id) && firstFailedStage(d, needs, now, true) === Stage.Passed);
  }

  /**
   * Standby deployments a shadow copy of this request may go to (never the one serving it). Each still
   * decides at the send whether it has room for one (`DeploymentState.beginShadow`: closed breaker,
   * free connections).
   */
  shadowTargets(plan: RoutePlan, serving: string, needs: Needs): Deployment[] {
    const g = plan.group;
    if (!g?.config.shadow) return [];
    const now = this.options.now();
    const pool = g.shadow ?? g.members.map((m) => this.deployments.get(m.id) as Deployment);
    return pool.filter((d) => d.id !== serving && firstFailedStage(d, needs, now, true) === Stage.Passed);
  }

  /** An explicit choice of a member of the (allowed) group: no fallback, and the group's policy. */
  private pinned(req: RouteRequest, group: ResolvedGroup): RoutePlan {
    const d = this.deployments.get(req.override as string);
    if (!d || !group.members.some((m) => m.id === d.id)) throw badOverride(req);
    // An explicit choice is still bound by residency and capabilities; only health is waived.
    return { group, deployments: this.filter([d], req.needs, this.options.now(), false, req.model, d.id), pinned: true };
  }

  /**
   * A deployment named as the model: served exactly like its group with the deployment pinned, so the
   * group's system prompt, defaults and budgets still apply. Refused unless the caller may name it.
   */
  private direct(req: RouteRequest, d: Deployment, access: Access): RoutePlan {
    const route = access.direct.get(d.id);
    if (route === undefined) {
      throw new GatewayError({
        kind: 'forbidden',
        message: access.directEnabled
          ? `This API key may not use the deployment '${d.id}'. Ask GET /v1/models for the names it may use.`
          : `Deployment ids are not model names here; ask for a group (GET /v1/models lists them).`,
        param: 'model',
        code: access.directEnabled ? 'model_not_allowed' : 'direct_deployment_disabled',
      });
    }
    if (route.ambiguous !== undefined) {
      throw new GatewayError({
        kind: 'invalid_request',
        message: `Deployment '${d.id}' belongs to several groups (${route.ambiguous.join(', ')}); ask for one of them as the model and pin the deployment with x-switchyard-deployment.`,
        param: 'model',
        code: 'ambiguous_deployment',
      });
    }
    if (req.override !== undefined && req.override !== d.id) throw badOverride(req);
    const group = route.group === undefined ? undefined : this.groups.get(route.group);
    return { group, deployments: this.filter([d], req.needs, this.options.now(), false, req.model, d.id), pinned: true };
  }

  /** `pinned`: the list is the one deployment the client named, which a refusal names. */
  private filter(list: readonly Deployment[], needs: Needs, now: number, health: boolean, model: string, pinned?: string): Deployment[] {
    const out: Deployment[] = [];
    let furthest: Stage = Stage.Residency;
    let retryAt = Number.POSITIVE_INFINITY;
    for (const d of list) {
      const stage = firstFailedStage(d, needs, now, health);
      if (stage === Stage.Passed) out.push(d);
      else {
        if (stage > furthest) furthest = stage;
        retryAt = Math.min(retryAt, availableAt(d, stage, now) ?? retryAt);
      }
    }
    if (out.length === 0) throw filterError(furthest, needs, model, retryAt - now, pinned);
    return out;
  }

  /**
   * Final order: a recovering deployment keeps its place only for its ramp share of requests (else it
   * moves behind the others), then provisioned deployments with room go first and those at capacity
   * last, and deployments near their quota move behind those with headroom.
   */
  private arrange(ordered: readonly Candidate[], now: number): Deployment[] {
    const startShare = this.options.failback.start_share;
    const head: Deployment[] = [];
    const demoted: Deployment[] = [];
    for (const c of ordered) {
      const d = this.deployments.get(c.id) as Deployment;
      const share = d.state.breaker.rampShare(now, startShare);
      if (share < 1 && this.options.random() >= share) demoted.push(d);
      else head.push(d);
    }
    const all = byQuota(demoted.length === 0 ? head : head.concat(demoted), now);
    let provisioned = false;
    for (const d of all) if (d.config.provisioned) provisioned = true;
    if (!provisioned) return all;
    const withRoom: Deployment[] = [];
    const onDemand: Deployment[] = [];
    const full: Deployment[] = [];
    for (const d of all) {
      if (!d.config.provisioned) onDemand.push(d);
      else if (d.state.hasProvisionedRoom(now)) withRoom.push(d);
      else full.push(d);
    }
    return withRoom.concat(onDemand, full);
  }
}

/** Deployments near their quota after the others, each part in its order; the list itself when none is near. */
function byQuota(list: Deployment[], now: number): Deployment[] {
  let near: Deployment[] | undefined;
  for (const d of list) if (d.state.quota?.near(now) === true) (near ??= []).push(d);
  if (near === undefined || near.length === list.length) return list;
  const nearSet = near;
  return list.filter((d) => !nearSet.includes(d)).concat(nearSet);
}

function isGroup(t: ResolvedGroup | Deployment): t is ResolvedGroup {
  return (t as ResolvedGroup).members !== undefined;
}

function allowed(group: ResolvedGroup, access: Access, model: string): ResolvedGroup {
  if (access.groups === undefined || access.groups.has(group.config.name)) return group;
  throw new GatewayError({ kind: 'forbidden', message: `This API key may not use the model '${echoed(model, 64)}'. Ask GET /v1/models for the names it may use.`, param: 'model', code: 'model_not_allowed' });
}

function badOverride(req: RouteRequest): GatewayError {
  return new GatewayError({
    kind: 'invalid_request',
    message: `Deployment '${echoed(req.override, 64)}' cannot serve the model '${req.model}'.`,
    param: req.overrideParam ?? 'x-switchyard-deployment',
    code: 'invalid_deployment_override',
  });
}

function configProblem(message: string): GatewayError {
  return new GatewayError({ kind: 'internal', message: `invalid routing config: ${message}` });
}

/**
 * A target list's deployments once each, in order of first mention: two groups named in one list may
 * share a member, and a second copy would be tried again after it failed (or sent a mirror twice).
 */
function onceEach(list: Deployment[]): Deployment[] {
  const seen = new Set<string>();
  return list.filter((d) => !seen.has(d.id) && seen.add(d.id));
}
