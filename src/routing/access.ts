import type { ConfigProblem } from '../config/interpolate.js';
import { formatPath } from '../config/interpolate.js';
import type { ApiKeyConfig } from '../config/schema.js';
import { groupMembers, type GroupConfig, type RoutingConfig } from './config.js';

/** How a deployment named directly (as `model`) is served. */
export interface DirectRoute {
  /** The group whose policy (system prompt, defaults, budgets) applies; undefined for a deployment in no group. */
  readonly group: string | undefined;
  /** Set instead of `group` when the deployment belongs to several groups and none is the caller's only one. */
  readonly ambiguous: readonly string[] | undefined;
}

/** What one caller may route to, computed once per API key so a request costs a map lookup or two. */
export interface Access {
  /** Groups the caller may ask for (by any of their names); undefined: every group. */
  readonly groups: ReadonlySet<string> | undefined;
  /** Whether deployment ids are model names for this caller at all. */
  readonly directEnabled: boolean;
  /** The deployments this caller may name directly. */
  readonly direct: ReadonlyMap<string, DirectRoute>;
  /** Model names GET /v1/models lists for this caller. */
  readonly models: readonly string[];
}

/** The parts of a key that decide its access: config keys and virtual keys alike. */
export type KeyPolicy = Pick<ApiKeyConfig, 'models' | 'groups' | 'allow_direct_deployments'>;

interface AccessConfig {
  groups: readonly GroupConfig[];
  deployments: ReadonlyArray<{ id: string }>;
  routing: Pick<RoutingConfig, 'allow_direct_deployments'>;
}

/**
 * A caller's access: an API key's allow-lists (`groups`, `models`) and direct-deployment switch, or the
 * config's defaults when there is no key (no api_keys configured, or an in-process caller). A deployment
 * named directly gets the policy of the one group it belongs to; in several groups, of the one of those
 * the key is limited to; otherwise it is refused as ambiguous rather than served under a guessed policy.
 */
export function accessFor(config: AccessConfig, key?: KeyPolicy): Access {
  const directEnabled = key?.allow_direct_deployments ?? config.routing.allow_direct_deployments;
  const named = new Set<string>();
  let groups: Set<string> | undefined;
  if (key?.models !== undefined || key?.groups !== undefined) {
    groups = new Set(key.groups);
    const owner = groupByName(config);
    for (const m of key.models ?? []) {
      const g = owner.get(m);
      if (g === undefined) named.add(m);
      else groups.add(g);
    }
  }
  const memberOf = new Map<string, string[]>();
  for (const g of config.groups) {
    for (const m of groupMembers(g)) {
      const list = memberOf.get(m.id);
      if (!list) memberOf.set(m.id, [g.name]);
      else if (!list.includes(g.name)) list.push(g.name);
    }
  }
  const direct = new Map<string, DirectRoute>();
  if (directEnabled) {
    for (const d of config.deployments) {
      const all = memberOf.get(d.id) ?? [];
      const mine = groups === undefined ? all : all.filter((g) => groups.has(g));
      if (groups !== undefined && mine.length === 0 && !named.has(d.id)) continue;
      // Reached by name only (its groups are not the key's): still under its own group's policy.
      const candidates = mine.length === 0 ? all : mine;
      direct.set(d.id, candidates.length <= 1 ? { group: candidates[0], ambiguous: undefined } : { group: undefined, ambiguous: candidates });
    }
  }
  const models = new Set<string>();
  for (const g of config.groups) {
    if (groups !== undefined && !groups.has(g.name)) continue;
    models.add(g.name);
    for (const a of g.aliases) models.add(a);
  }
  for (const [id, route] of direct) if (route.ambiguous === undefined) models.add(id);
  return { groups, directEnabled, direct, models: [...models] };
}

function groupByName(config: Pick<AccessConfig, 'groups'>): Map<string, string> {
  const owner = new Map<string, string>();
  for (const g of config.groups) for (const name of [g.name, ...g.aliases]) owner.set(name, g.name);
  return owner;
}

/**
 * The names in API keys' allow-lists, checked when the config is loaded: unknown groups and model
 * names, deployment ids a key may not name directly, and deployments that would be ambiguous.
 */
export function checkAccessReferences(config: AccessConfig & { api_keys: readonly KeyPolicy[] }): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const owner = groupByName(config);
  const deployments = new Set(config.deployments.map((d) => d.id));
  const known = `known groups: ${config.groups.map((g) => g.name).join(', ') || '(none)'}`;
  config.api_keys.forEach((key, ki) => {
    key.groups?.forEach((name, i) => {
      if (config.groups.some((g) => g.name === name)) return;
      const alias = owner.get(name);
      const message = alias === undefined ? `unknown group "${name}"; ${known}` : `"${name}" is an alias; name its group "${alias}"`;
      problems.push({ path: formatPath(['api_keys', ki, 'groups', i]), message });
    });
    const access = accessFor(config, key);
    key.models?.forEach((name, i) => {
      const path = formatPath(['api_keys', ki, 'models', i]);
      if (owner.has(name)) return;
      if (!deployments.has(name)) problems.push({ path, message: `unknown model "${name}": neither a group, an alias nor a deployment id` });
      else if (!access.directEnabled) {
        problems.push({ path, message: `"${name}" is a deployment id, but direct deployment names are off for this key (allow_direct_deployments)` });
      } else {
        const ambiguous = access.direct.get(name)?.ambiguous;
        if (ambiguous) problems.push({ path, message: `deployment "${name}" is in several groups (${ambiguous.join(', ')}); the key's groups must name exactly one of them` });
      }
    });
  });
  return problems;
}

/**
 * A config key bound to a residency that none of the deployments it may use is tagged with: every one
 * of its requests would be refused at run time, so the config is refused instead.
 */
export function checkKeyResidency(
  config: AccessConfig & { deployments: ReadonlyArray<{ id: string; tags: readonly string[] }>; api_keys: ReadonlyArray<KeyPolicy & Pick<ApiKeyConfig, 'residency'>> },
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  config.api_keys.forEach((key, ki) => {
    const residency = key.residency;
    if (residency === undefined || reachable(config, accessFor(config, key)).some((d) => d.tags.includes(residency))) return;
    problems.push({
      path: formatPath(['api_keys', ki, 'residency']),
      message: `no deployment this key may use is tagged "${residency}", so every request of it would be refused (residency_violation); tag the deployments that may serve it (tags: [${residency}])`,
    });
  });
  return problems;
}

/** The deployments a caller can be routed to: its groups' members and special fallbacks, and those it may name directly. */
function reachable<D extends { id: string }>(config: { groups: readonly GroupConfig[]; deployments: readonly D[] }, access: Access): D[] {
  const ids = new Set(access.direct.keys());
  const byName = new Map(config.groups.map((g) => [g.name, g]));
  const add = (g: GroupConfig): void => {
    for (const m of groupMembers(g)) ids.add(m.id);
  };
  for (const g of config.groups) {
    if (access.groups !== undefined && !access.groups.has(g.name)) continue;
    add(g);
    for (const name of [...g.fallbacks.context_window_exceeded, ...g.fallbacks.content_filtered]) {
      const target = byName.get(name);
      if (target) add(target);
      else ids.add(name);
    }
  }
  return config.deployments.filter((d) => ids.has(d.id));
}
