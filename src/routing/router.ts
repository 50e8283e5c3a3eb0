import { GatewayError } from '../core/errors.js';
import type { Provider } from '../core/provider.js';
import type { DeploymentConfig, GatewayConfig } from '../config/schema.js';
import { groupMembers, type GroupConfig } from './config.js';
import type { DeploymentState } from './deployment-state.js';
import { firstFailedStage, Stage, type Needs } from './filters.js';
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
  /** Task type (header `x-switchyard-task`), used when the model is `default`. */
  task?: string | undefined;
}

export interface RoutePlan {
  group: ResolvedGroup | undefined;
  /** Deployments in the order they should be tried. */
  deployments: Deployment[];
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
 * Turns a request into the ordered deployments that may serve it: resolves the model (group, alias,
 * task, deployment id, default group), filters (residency, capabilities, context window, health),
 * orders by the group's strategy, lets recovering deployments ramp back, and prefers provisioned
 * capacity while it lasts.
 */
export class Router {
  private readonly groups = new Map<string, ResolvedGroup>();
  private readonly byName = new Map<string, ResolvedGroup>();
  private readonly byTask = new Map<string, ResolvedGroup>();

  constructor(
    config: GatewayConfig,
    private readonly deployments: ReadonlyMap<string, Deployment>,
    private readonly options: RouterOptions,
  ) {
    const hints = new Map<string, number>();
    for (const g of config.groups) for (const m of groupMembers(g)) if (m.price !== undefined) hints.set(m.id, m.price);
    const price = (id: string): number | undefined => options.priceOf?.(id) ?? hints.get(id);
    const latency = (id: string): number | undefined => deployments.get(id)?.state.ewmaMs;
    const inFlight = (id: string): number => deployments.get(id)?.state.inFlight ?? 0;
    for (const g of config.groups) {
      const ctx: StrategyContext = { random: options.random, latency, inFlight, price, exploration: g.exploration };
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
        special[kind] = g.config.fallbacks[kind].flatMap((name) => this.targets(name, `groups.${g.config.name}.fallbacks.${kind}`));
      }
      if (g.config.shadow?.deployments) {
        (g as { shadow: readonly Deployment[] | undefined }).shadow = g.config.shadow.deployments.flatMap((name) => this.targets(name, `groups.${g.config.name}.shadow`));
      }
    }
    if (options.defaultGroup !== undefined && !this.groups.has(options.defaultGroup)) throw configProblem(`default_group "${options.defaultGroup}" is not a group`);
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

  /** Every model name a client may ask for: group names, aliases and deployment ids. */
  modelNames(): string[] {
    return [...new Set([...this.byName.keys(), ...this.deployments.keys()])];
  }

  group(name: string): ResolvedGroup | undefined {
    return this.groups.get(name);
  }

  /**
   * Which group or deployment a model name means. Group names and aliases first, then deployment ids;
   * `default` (unless a group claims it) picks the task's group or `default_group`; other unknown
   * names fail with model_not_found unless `routing.unknown_model_to_default` is set.
   */
  resolve(model: string, task: string | undefined): ResolvedGroup | Deployment {
    const named = this.byName.get(model);
    if (named) return named;
    const direct = this.deployments.get(model);
    if (direct) return direct;
    if (model === 'default' || this.options.unknownModelToDefault) {
      if (task !== undefined) {
        const byTask = this.byTask.get(task);
        if (!byTask) throw new GatewayError({ kind: 'invalid_request', message: `No group serves the task '${task}'.`, param: 'x-switchyard-task', code: 'unknown_task' });
        return byTask;
      }
      const fallback = this.options.defaultGroup === undefined ? undefined : this.groups.get(this.options.defaultGroup);
      if (fallback) return fallback;
    }
    throw new GatewayError({
      kind: 'not_found',
      message: `The model '${model}' does not exist. Ask GET /v1/models for the available names.`,
      param: 'model',
      code: 'model_not_found',
    });
  }

  plan(req: RouteRequest): RoutePlan {
    const target = this.resolve(req.model, req.task);
    const group = isGroup(target) ? target : undefined;
    if (req.override !== undefined) return this.pinned(req, group, target);
    const now = this.options.now();
    if (!group) return { group, deployments: this.filter([target as Deployment], req.needs, now, true, req.model), pinned: false };
    const survivors: Candidate[] = [];
    let furthest: Stage = Stage.Residency;
    let retryAt = Number.POSITIVE_INFINITY;
    for (const m of group.members) {
      const d = this.deployments.get(m.id) as Deployment;
      const stage = firstFailedStage(d, req.needs, now, true);
      if (stage === Stage.Passed) survivors.push(m);
      else {
        if (stage > furthest) furthest = stage;
        if (stage === Stage.Health) retryAt = Math.min(retryAt, d.state.breaker.retryAt(now) ?? retryAt);
      }
    }
    if (survivors.length === 0) {
      if (furthest === Stage.ContextWindow && group.special.context_window_exceeded.length > 0) {
        return { group, deployments: this.filter(group.special.context_window_exceeded, req.needs, now, true, req.model), pinned: false };
      }
      throw filterError(furthest, req, group.config.name, retryAt - now);
    }
    const ordered = survivors.length === 1 ? survivors : group.strategy.order(survivors, group.ctx);
    return { group, deployments: this.arrange(ordered, now), pinned: false };
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

  /** Standby deployments a shadow copy of this request may go to (never the one serving it). */
  shadowTargets(plan: RoutePlan, serving: string, needs: Needs): Deployment[] {
    const g = plan.group;
    if (!g?.config.shadow) return [];
    const now = this.options.now();
    const pool = g.shadow ?? g.members.map((m) => this.deployments.get(m.id) as Deployment);
    return pool.filter((d) => d.id !== serving && firstFailedStage(d, needs, now, true) === Stage.Passed);
  }

  private pinned(req: RouteRequest, group: ResolvedGroup | undefined, target: ResolvedGroup | Deployment): RoutePlan {
    const d = this.deployments.get(req.override as string);
    const allowed = d !== undefined && (group ? group.members.some((m) => m.id === d.id) : d === target);
    if (!d || !allowed) {
      throw new GatewayError({
        kind: 'invalid_request',
        message: `Deployment '${req.override}' cannot serve the model '${req.model}'.`,
        param: 'x-switchyard-deployment',
        code: 'invalid_deployment_override',
      });
    }
    // An explicit choice is still bound by residency and capabilities; only health is waived.
    return { group, deployments: this.filter([d], req.needs, this.options.now(), false, req.model), pinned: true };
  }

  private filter(list: readonly Deployment[], needs: Needs, now: number, health: boolean, model: string): Deployment[] {
    const out: Deployment[] = [];
    let furthest: Stage = Stage.Residency;
    let retryAt = Number.POSITIVE_INFINITY;
    for (const d of list) {
      const stage = firstFailedStage(d, needs, now, health);
      if (stage === Stage.Passed) out.push(d);
      else {
        if (stage > furthest) furthest = stage;
        if (stage === Stage.Health) retryAt = Math.min(retryAt, d.state.breaker.retryAt(now) ?? retryAt);
      }
    }
    if (out.length === 0) throw filterError(furthest, { model, needs }, model, retryAt - now);
    return out;
  }

  /**
   * Final order: a recovering deployment keeps its place only for its ramp share of requests (else it
   * moves behind the others), then provisioned deployments with room go first and those at capacity last.
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
    const all = demoted.length === 0 ? head : head.concat(demoted);
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

function isGroup(t: ResolvedGroup | Deployment): t is ResolvedGroup {
  return (t as ResolvedGroup).members !== undefined;
}

function configProblem(message: string): GatewayError {
  return new GatewayError({ kind: 'internal', message: `invalid routing config: ${message}` });
}

function filterError(stage: Stage, req: Pick<RouteRequest, 'model' | 'needs'>, name: string, retryInMs: number): GatewayError {
  switch (stage) {
    case Stage.Residency:
      return new GatewayError({
        kind: 'residency_violation',
        message: `No deployment of '${name}' may serve requests restricted to '${req.needs.residency}'.`,
        code: 'residency_violation',
      });
    case Stage.Capabilities:
      return new GatewayError({
        kind: 'invalid_request',
        message: `No deployment of '${name}' supports ${req.needs.capabilities.join(', ')}.`,
        param: 'model',
        code: 'unsupported_capability',
      });
    case Stage.ContextWindow:
      return new GatewayError({
        kind: 'context_window_exceeded',
        message: `The prompt (about ${req.needs.promptTokens} tokens) exceeds the context window of every deployment of '${name}'.`,
        param: 'messages',
        code: 'context_length_exceeded',
      });
    case Stage.OutputLimit: {
      const ask = req.needs.maxTokens;
      return new GatewayError({
        kind: 'invalid_request',
        message: `${ask?.param} is too large: ${ask?.value}. It exceeds the output limit (max_output_tokens) of every deployment of '${name}'.`,
        param: ask?.param,
        code: 'invalid_value',
      });
    }
    default:
      return new GatewayError({
        kind: 'no_deployment_available',
        message: `Every deployment of '${name}' is unavailable (circuit open).`,
        retryAfterMs: Number.isFinite(retryInMs) ? Math.max(0, retryInMs) : undefined,
      });
  }
}
