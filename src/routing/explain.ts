import type { GatewayConfig } from '../config/schema.js';
import { accessFor, type Access, type KeyPolicy } from './access.js';
import { groupMembers, type GroupConfig } from './config.js';

/** One way a request reaches a deployment: the names it passes through, in order. */
export interface ReachPath {
  /** E.g. `coding → fallbacks.context_window_exceeded → big → claude-eu`. */
  route: string;
  deployment: string;
  region: string | undefined;
  /** Set when the deployment's region is outside the residency's allowed regions. */
  leak: string | undefined;
}

/** What one key, team or residency tag can reach. */
export interface Reach {
  subject: string;
  residency: string | undefined;
  /** The residency's declared regions; undefined when unrestricted or undeclared. */
  regions: readonly string[] | undefined;
  paths: ReachPath[];
}

export interface ResidencyExplanation {
  subjects: Reach[];
  /** Every path that can leave its residency's regions, named `subject: route`. */
  leaks: string[];
  /** Residency tags in use whose regions `residency:` does not declare (their paths cannot be proved). */
  undeclared: string[];
}

type Config = Pick<GatewayConfig, 'api_keys' | 'groups' | 'deployments' | 'routing' | 'residency'>;

interface Step {
  route: string;
  deployment: string;
}

/**
 * Every path a request can take (group or alias → member, special fallbacks, shadow mirrors, direct
 * deployment names and their group's special fallbacks), per API key (or for the anonymous caller of a
 * gateway without keys), per team and per residency tag a caller may ask for by header, after the router's residency filter (a deployment not tagged with
 * the residency is never tried). A path leaks when the deployment it ends at is tagged for the
 * residency but its `region` is not among the regions `residency.<tag>.regions` allows.
 */
export function explainResidency(config: Config): ResidencyExplanation {
  const subjects: Reach[] = [];
  const teams = new Map<string, Reach>();
  // A `role: metrics` key reaches no deployment (the handler refuses it every route but GET /metrics).
  const callers = config.api_keys.filter((k) => k.role !== 'metrics');
  // Without keys the gateway is open: its one anonymous caller reaches everything, and says so.
  if (config.api_keys.length === 0) subjects.push(reachOf(config, 'any caller (no api_keys)', undefined, undefined));
  for (const key of callers) {
    const reach = reachOf(config, `key ${key.id}`, key.residency, key);
    subjects.push(reach);
    if (key.team === undefined) continue;
    const team = teams.get(key.team) ?? { subject: `team ${key.team}`, residency: undefined, regions: undefined, paths: [] };
    team.paths = merge(team.paths, reach.paths);
    teams.set(key.team, team);
  }
  subjects.push(...teams.values());
  // Callers without a residency of their own may ask for any by header.
  const open: Array<KeyPolicy | undefined> = config.api_keys.length === 0 ? [undefined] : callers.filter((k) => k.residency === undefined);
  const tags = new Set([...Object.keys(config.residency), ...callers.flatMap((k) => (k.residency === undefined ? [] : [k.residency]))]);
  if (open.length > 0) {
    for (const tag of tags) {
      let paths: ReachPath[] = [];
      for (const key of open) paths = merge(paths, reachOf(config, '', tag, key).paths);
      subjects.push({ subject: `residency ${tag} (x-switchyard-residency)`, residency: tag, regions: config.residency[tag]?.regions, paths });
    }
  }
  const leaks = subjects.flatMap((s) => s.paths.filter((p) => p.leak !== undefined).map((p) => `${s.subject}: ${p.route} (${p.leak})`));
  return { subjects, leaks: [...new Set(leaks)], undeclared: [...tags].filter((t) => config.residency[t] === undefined) };
}

function reachOf(config: Config, subject: string, residency: string | undefined, key: KeyPolicy | undefined): Reach {
  const regions = residency === undefined ? undefined : config.residency[residency]?.regions;
  const byId = new Map(config.deployments.map((d) => [d.id, d]));
  const paths: ReachPath[] = [];
  for (const step of steps(config, accessFor(config, key))) {
    const d = byId.get(step.deployment);
    if (!d) continue;
    // The router's residency filter: never waived, on every path.
    if (residency !== undefined && !d.tags.includes(residency)) continue;
    const leak = regions === undefined ? undefined : regionProblem(d.region, residency as string, regions);
    paths.push({ route: step.route, deployment: d.id, region: d.region, leak });
  }
  return { subject, residency, regions, paths: merge([], paths) };
}

/** Every configured path for a caller with this access, before residency filtering. */
function steps(config: Config, access: Access): Step[] {
  const groups = new Map(config.groups.map((g) => [g.name, g]));
  const out: Step[] = [];
  const expand = (prefix: string, name: string): void => {
    const g = groups.get(name);
    if (!g) out.push({ route: `${prefix} → ${name}`, deployment: name });
    else for (const m of groupMembers(g)) out.push({ route: `${prefix} → ${name} → ${m.id}`, deployment: m.id });
  };
  const special = (prefix: string, g: GroupConfig): void => {
    for (const kind of ['context_window_exceeded', 'content_filtered'] as const) {
      for (const target of g.fallbacks[kind]) expand(`${prefix} → fallbacks.${kind}`, target);
    }
  };
  for (const g of config.groups) {
    if (access.groups !== undefined && !access.groups.has(g.name)) continue;
    const label = g.aliases.length > 0 ? `${g.name} (or ${g.aliases.join(', ')})` : g.name;
    for (const m of groupMembers(g)) out.push({ route: `${label} → ${m.id}`, deployment: m.id });
    special(label, g);
    if (g.shadow) {
      const mirrors = g.shadow.deployments ?? groupMembers(g).map((m) => m.id);
      for (const target of mirrors) expand(`${label} → shadow`, target);
    }
  }
  for (const [id, route] of access.direct) {
    if (route.ambiguous !== undefined) continue;
    out.push({ route: `direct ${id}`, deployment: id });
    // A pinned request still takes its group's special fallbacks.
    const g = route.group === undefined ? undefined : groups.get(route.group);
    if (g) special(`direct ${id} (group ${g.name})`, g);
  }
  return out;
}

function regionProblem(region: string | undefined, residency: string, allowed: readonly string[]): string | undefined {
  if (region === undefined) return `no region configured; residency ${residency} allows ${allowed.join(', ')}`;
  if (allowed.some((p) => globMatch(p, region))) return undefined;
  return `region ${region} is outside residency ${residency}: ${allowed.join(', ')}`;
}

function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}

/** Paths of `a` then those of `b` not already there. */
function merge(a: readonly ReachPath[], b: readonly ReachPath[]): ReachPath[] {
  const seen = new Set(a.map((p) => p.route));
  const out = [...a];
  for (const p of b) {
    if (seen.has(p.route)) continue;
    seen.add(p.route);
    out.push(p);
  }
  return out;
}

/** The explanation as the lines `check-config --explain` prints. */
export function formatExplanation(e: ResidencyExplanation): string[] {
  const lines: string[] = [];
  for (const s of e.subjects) {
    const scope = s.residency === undefined ? 'unrestricted' : `residency ${s.residency}${s.regions ? `: ${s.regions.join(', ')}` : ' (regions not declared)'}`;
    lines.push(`${s.subject} [${scope}] reaches ${[...new Set(s.paths.map((p) => p.deployment))].join(', ') || 'nothing'}`);
    for (const p of s.paths) lines.push(`  ${p.route}${p.region ? ` (${p.region})` : ''}${p.leak ? `  LEAK: ${p.leak}` : ''}`);
  }
  for (const t of e.undeclared) lines.push(`warning: residency ${t} has no regions under residency.${t}.regions; its paths are listed but not proved`);
  return lines;
}
