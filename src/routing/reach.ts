import { withholdConfigSecrets, type ConfigProblem } from '../config/interpolate.js';
import type { GatewayConfig } from '../config/schema.js';
import { groupMembers } from './config.js';

/** What `check-config` and `serve` say about deployments no model name reaches. */
export interface Reach {
  /** No request can be served at all: every call would get 404 or 403 direct_deployment_disabled. */
  errors: ConfigProblem[];
  /** Deployments that no group, fallback or shadow uses and that cannot be named directly. */
  warnings: ConfigProblem[];
}

type ReachConfig = Pick<GatewayConfig, 'deployments' | 'groups' | 'routing' | 'api_keys' | 'keys'>;

/**
 * Which deployments a request can reach: through a group (its members, fallbacks and shadows), or by
 * its id when direct deployment names are on (`routing.allow_direct_deployments`, or a key's own).
 * A config with deployments but no group and no direct names serves nothing: an error, with the fix.
 * Messages quote deployment ids: a secret a variable also put into one is written as its reference.
 */
export function checkReach(config: ReachConfig): Reach {
  const { errors, warnings } = reachOf(config);
  return { errors: withholdConfigSecrets(config, errors), warnings: withholdConfigSecrets(config, warnings) };
}

function reachOf(config: ReachConfig): Reach {
  const directForAll = config.routing.allow_direct_deployments;
  const directForSome = config.api_keys.some((k) => k.allow_direct_deployments === true) || config.keys.hmac_secret !== undefined;
  const ids = config.deployments.map((d) => d.id);
  if (config.groups.length === 0) {
    if (directForAll) return { errors: [], warnings: [] };
    const fix = `add a group, e.g. groups: [{ name: chat, deployments: [${ids.join(', ')}] }], and call it by its name; or set routing.allow_direct_deployments: true to call deployments by id`;
    const problem = { path: 'groups', message: `no model name reaches any deployment (no group, and direct deployment names are off): ${fix}` };
    // Keys that may name deployments directly still reach them: only the others are left with nothing.
    return directForSome ? { errors: [], warnings: [{ ...problem, message: `only keys with allow_direct_deployments reach a deployment (no group): ${fix}` }] } : { errors: [problem], warnings: [] };
  }
  if (directForAll) return { errors: [], warnings: [] };
  const used = new Set<string>();
  for (const g of config.groups) {
    for (const m of groupMembers(g)) used.add(m.id);
    for (const name of [...g.fallbacks.context_window_exceeded, ...g.fallbacks.content_filtered, ...(g.shadow?.deployments ?? [])]) used.add(name);
  }
  const reach = directForSome ? 'only keys with allow_direct_deployments reach it' : 'no request reaches it';
  const warnings = config.deployments.flatMap((d, i) =>
    used.has(d.id) ? [] : [{ path: `deployments[${i}]`, message: `"${d.id}" is in no group and direct deployment names are off: ${reach} (add it to a group, or set routing.allow_direct_deployments: true)` }],
  );
  return { errors: [], warnings };
}
