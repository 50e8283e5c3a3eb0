import { createHash } from 'node:crypto';
import type { GatewayConfig } from '../config/schema.js';
import { stable } from './key.js';

type Deployment = GatewayConfig['deployments'][number];
type Group = GatewayConfig['groups'][number];

/**
 * Deployment settings that do not change what an answer says: credentials (a rotated key keeps its
 * hits), which requests a deployment may take (tags for residency, capabilities, limits a request is
 * filtered by), connection and probe tuning, and what clients read of errors (never cached). Every
 * other setting, a provider's own options included, is taken to matter: a setting wrongly counted
 * costs misses after a reload, one wrongly left out would serve the old deployment's answers.
 */
const NOT_ANSWERS: ReadonlySet<string> = new Set([
  'api_key',
  'tags',
  'allow_insecure_http',
  'expose_upstream_errors',
  'capabilities',
  'context_window',
  'max_output_tokens',
  'provisioned',
  'interruptible',
  'quota',
  'media_urls',
  'max_connections',
  'connect_timeout_ms',
  'keep_alive_timeout_ms',
  'embedding_concurrency',
  'probe',
]);

/** Headers that carry credentials, by config/secret.ts's rule for names: left out like `api_key`. */
const CREDENTIAL_HEADER = /auth|key|token|secret|password|credential|signature|session|cookie/i;

/**
 * What the config decides about the answers of each route a cache key names, hashed once per config
 * load, so that a reload pointing a group at another model, provider, endpoint, system prompt or
 * parameters misses the answers cached before it (Redis keeps them across reloads), while one that
 * changes nothing of the kind (a log level, a budget, a weight) keeps its hits. Secrets are not hashed
 * (a `Secret` serialises as `[redacted]`; credential headers are left out).
 */
export class RouteFingerprints {
  private readonly routes = new Map<string, string>();
  /** Of every route at once: for a target this config does not name (a miss after any answer-changing reload). */
  private readonly whole: string;

  constructor(config: Pick<GatewayConfig, 'deployments' | 'groups'>) {
    const deployments = new Map(config.deployments.map((d) => [d.id, hash(stable(answerSettings(d)))]));
    const groups = new Map(config.groups.map((g) => [g.name, g]));
    const of = (id: string): string => deployments.get(id) ?? '';
    // A special fallback names a group (its members) or a deployment, as the router resolves it.
    const resolved = (name: string): string[] => {
      const g = groups.get(name);
      return g ? memberIds(g).map(of) : [of(name)];
    };
    for (const [id, fingerprint] of deployments) this.routes.set(routeName(undefined, id), fingerprint);
    for (const g of config.groups) {
      const own = {
        system_prompt: g.system_prompt,
        defaults: g.defaults,
        quality_gate: g.quality_gate,
        fallbacks: { context_window_exceeded: g.fallbacks.context_window_exceeded.flatMap(resolved), content_filtered: g.fallbacks.content_filtered.flatMap(resolved) },
      };
      const members = memberIds(g);
      // Which member answers first is the strategy's and the order's; weights and prices only tune shares.
      this.routes.set(routeName(g.name, undefined), hash(stable({ ...own, strategy: g.strategy, members: members.map((id) => [id, of(id)]) })));
      for (const id of members) this.routes.set(routeName(g.name, id), hash(stable({ ...own, pinned: [id, of(id)] })));
    }
    this.whole = hash(stable([...this.routes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
  }

  /** The fingerprint of a route: a group, a deployment pinned in it, or a deployment asked directly (no group). */
  of(group: string | undefined, deployment: string | undefined): string {
    return this.routes.get(routeName(group, deployment)) ?? this.whole;
  }
}

/** Unambiguous whatever the names hold: group `a/b` is not group `a` pinned to `b`. */
const routeName = (group: string | undefined, deployment: string | undefined): string => JSON.stringify([group ?? null, deployment ?? null]);

function memberIds(g: Group): string[] {
  return g.deployments.map((m) => (typeof m === 'string' ? m : m.id));
}

/** A deployment's settings (and its provider's parsed options) without those in `NOT_ANSWERS`. */
function answerSettings(d: Deployment): { deployment: Record<string, unknown>; options: unknown } {
  const { options, ...rest } = d;
  return { deployment: withoutNonAnswers(rest), options: typeof options === 'object' && options !== null ? withoutNonAnswers(options as Record<string, unknown>) : options };
}

function withoutNonAnswers(settings: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(settings)) {
    if (NOT_ANSWERS.has(name)) continue;
    kept[name] = name === 'headers' && typeof value === 'object' && value !== null ? Object.fromEntries(Object.entries(value).filter(([h]) => !CREDENTIAL_HEADER.test(h))) : value;
  }
  return kept;
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}
