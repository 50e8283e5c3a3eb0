import { parseConfig } from '../config/load.js';
import type { GatewayConfig } from '../config/schema.js';
import { groupMembers, type GroupConfig } from '../routing/config.js';
import type { Scenario } from './scenario.js';
import { isSimulator, proxyTarget, simulatorTarget, type FaultTarget } from './faults/inject.js';
import { FaultProxy } from './faults/proxy.js';

type RawTree = Record<string, unknown> & { deployments?: Array<Record<string, unknown>>; groups?: Array<Record<string, unknown>> };

/** Parses a config tree, throwing one message that names every problem. */
export function parseOrThrow(raw: unknown, env: Readonly<Record<string, string | undefined>>): GatewayConfig {
  const parsed = parseConfig(raw, env);
  if (!parsed.ok) throw new Error(`invalid config: ${parsed.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  return parsed.config;
}

export function findGroup(config: GatewayConfig, name: string): GroupConfig {
  const group = config.groups.find((g) => g.name === name || g.aliases.includes(name));
  if (!group) throw new Error(`no group "${name}" in the config (groups: ${config.groups.map((g) => g.name).join(', ') || 'none'})`);
  return group;
}

/** The group's deployments the scenario makes faulty. */
export function targetIds(config: GatewayConfig, group: GroupConfig, scenario: Scenario): string[] {
  const members = groupMembers(group).map((m) => m.id);
  if ('deployments' in scenario.target) {
    const unknown = scenario.target.deployments.filter((d) => !members.includes(d));
    if (unknown.length > 0) throw new Error(`scenario targets ${unknown.join(', ')}, not in group "${group.name}"`);
    return scenario.target.deployments;
  }
  const regionOf = (id: string): string | undefined => config.deployments.find((d) => d.id === id)?.region;
  const region = scenario.target.region === 'primary' ? regionOf(members[0] ?? '') : scenario.target.region;
  const ids = members.filter((id) => regionOf(id) === region);
  if (ids.length === 0) throw new Error(`no deployment of group "${group.name}" is in region "${region ?? '(none)'}"`);
  if (ids.length === members.length) throw new Error(`every deployment of group "${group.name}" is in region "${region ?? '(none)'}": nothing to fail over to`);
  return ids;
}

export interface PlacedTargets {
  config: GatewayConfig;
  targets: FaultTarget[];
}

/**
 * Finds how to reach each target: a simulator's fault API, else a fault proxy the drill puts in front
 * of the deployment (its endpoint is rewritten to the proxy); `via: proxy` uses the proxy for simulators
 * too. `shadow: false` drops the group's shadow share.
 */
export async function placeTargets(
  raw: unknown,
  env: Readonly<Record<string, string | undefined>>,
  groupName: string,
  scenario: Scenario,
  opts: { shadow: boolean; via: 'auto' | 'proxy' },
): Promise<PlacedTargets> {
  const tree = structuredClone(raw) as RawTree;
  const config = parseOrThrow(tree, env);
  const group = findGroup(config, groupName);
  const ids = targetIds(config, group, scenario);
  const members = groupMembers(group).map((m) => m.id);
  const origin = (id: string): string | undefined => {
    const endpoint = config.deployments.find((d) => d.id === id)?.endpoint;
    return endpoint === undefined ? undefined : new URL(endpoint).origin;
  };
  const targets: FaultTarget[] = [];
  try {
    for (const id of ids) {
      const at = origin(id);
      if (at === undefined) throw new Error(`deployment "${id}" has no endpoint, so the drill cannot put its fault proxy in front of it`);
      if (opts.via === 'auto' && (await isSimulator(at))) {
        const shared = members.filter((m) => !ids.includes(m) && origin(m) === at);
        if (shared.length > 0) throw new Error(`target "${id}" shares its simulator with ${shared.join(', ')}: a simulator fault would hit both`);
        targets.push(simulatorTarget(id, at));
        continue;
      }
      const url = new URL(config.deployments.find((d) => d.id === id)?.endpoint as string);
      if (url.protocol !== 'http:') throw new Error(`deployment "${id}" is ${url.protocol}//: the fault proxy relays plain TCP and can only front http:// upstreams`);
      const proxy = await FaultProxy.start({ host: url.hostname, port: Number(url.port || 80) });
      targets.push(proxyTarget(id, proxy));
      const rawDeployment = tree.deployments?.find((d) => d.id === id);
      if (rawDeployment) rawDeployment.endpoint = `${proxy.url}${url.pathname}${url.search}`;
    }
    if (!opts.shadow) for (const g of tree.groups ?? []) if (g.name === group.name) delete g.shadow;
    return { config: parseOrThrow(tree, env), targets };
  } catch (err) {
    await Promise.all(targets.map((t) => t.close()));
    throw err;
  }
}
