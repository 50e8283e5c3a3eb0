import { formatPath, type ConfigProblem } from '../config/interpolate.js';
import { listedTwice, type GroupConfig, type RoutingConfig } from './config.js';

/** The parts of a schema-valid config that routing references are checked against. */
export interface RoutingReferences {
  deployments: ReadonlyArray<{ id: string }>;
  groups: readonly GroupConfig[];
  routing: RoutingConfig;
}

/**
 * Cross-references the schema cannot see, checked when the config is loaded (so `check-config`
 * catches them) rather than when a gateway is built: special fallbacks and shadow targets naming
 * neither a group nor a deployment or listed twice, a task served by two groups, a cool-off longer than
 * its cap.
 * Quality gates are named in config but supplied in code, so only createGateway can check them.
 */
export function checkRoutingReferences(config: RoutingReferences): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const deployments = new Set(config.deployments.map((d) => d.id));
  const groups = new Set(config.groups.map((g) => g.name));
  const aliases = new Map<string, string>();
  for (const g of config.groups) for (const a of g.aliases) aliases.set(a, g.name);
  const known = `known groups: ${[...groups].join(', ') || '(none)'}; deployments: ${[...deployments].join(', ')}`;

  const target = (name: string, path: PropertyKey[]): boolean => {
    if (groups.has(name) || deployments.has(name)) return true;
    const owner = aliases.get(name);
    const message = owner === undefined ? `unknown group or deployment "${name}"; ${known}` : `"${name}" is an alias; name its group "${owner}"`;
    problems.push({ path: formatPath(path), message });
    return false;
  };
  // A repeated target is planned twice: tried again after it failed, or sent each mirrored request twice.
  const targets = (names: readonly string[], path: PropertyKey[], list: string, consequence: string): void => {
    const listed = new Map<string, number>();
    names.forEach((name, i) => {
      if (!target(name, [...path, i])) return;
      const first = listed.get(name);
      if (first === undefined) listed.set(name, i);
      else {
        const entry = `${groups.has(name) ? 'group' : 'deployment'} "${name}"`;
        problems.push({ path: formatPath([...path, i]), message: listedTwice(entry, list, formatPath([...path, first]), consequence) });
      }
    });
  };

  const tasks = new Map<string, string>();
  config.groups.forEach((g, gi) => {
    for (const kind of ['context_window_exceeded', 'content_filtered'] as const) {
      targets(g.fallbacks[kind], ['groups', gi, 'fallbacks', kind], 'this fallback list', 'it would be tried again after it failed');
    }
    if (g.shadow?.deployments) targets(g.shadow.deployments, ['groups', gi, 'shadow', 'deployments'], 'this shadow list', 'each mirrored request would be sent to it twice');
    g.tasks.forEach((task, ti) => {
      const owner = tasks.get(task);
      const here = `groups[${gi}]`;
      if (owner === undefined) tasks.set(task, here);
      else {
        const message = owner === here ? `task "${task}" is listed twice` : `task "${task}" is already served by ${owner}; a task picks exactly one group`;
        problems.push({ path: formatPath(['groups', gi, 'tasks', ti]), message });
      }
    });
  });

  const { cool_off_ms: coolOff, max_cool_off_ms: maxCoolOff } = config.routing.breaker;
  if (coolOff > maxCoolOff) {
    problems.push({ path: 'routing.breaker.cool_off_ms', message: `${coolOff} is longer than max_cool_off_ms (${maxCoolOff}), which would cap every cool-off` });
  }
  return problems;
}
