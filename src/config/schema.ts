import * as z from './zod.js';
import { headerSecretRef, storeUrlRef } from './secret-ref.js';
import { registerCredentialHeader, Secret } from './secret.js';
import { timerMs } from './timer.js';
import { httpUrl } from './url.js';
import { openServerProblem } from './open-server.js';
import { groupMembers, groupSchema, listedTwice, routingSchema } from '../routing/config.js';
import { deploymentRoutingShape } from '../routing/deployment.js';
import { budgetsSchema, ledgerSchema, pricingSchema, tagValueCheck } from '../ledger/config.js';
import { passthroughSchema } from './passthrough.js';
import { observabilitySchema } from '../observability/config.js';
import { keysSchema, keyTagsSchema, residencySchema, VIRTUAL_KEY_ID } from '../governance/config.js';
import { interruptionSchema } from '../ops/interruption/config.js';
import { dashboardSchema } from '../dashboard/config.js';
import { keyRateLimitSchema, rateLimitsSchema } from '../limits/config.js';
import { cacheSchema } from '../cache/config.js';
import { responsesSchema } from '../ingress/openai-responses/config.js';
import { headerProblem } from '../providers/transport/request-head.js';
import { clusterUrlProblem } from '../state/cluster-url.js';

const RESERVED_NAME = 'names starting with "key:" are the API keys\' and virtual keys\' own limits; choose another name';

const idPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/** Keys every deployment has; provider-specific keys are validated by the provider's own schema. */
export const deploymentSchema = z.looseObject({
  id: z.string().regex(idPattern, 'expected letters, digits, and . _ : - (starting with a letter or digit)').describe('the deployment id, e.g. bedrock-claude-eu'),
  provider: z.string().min(1).describe('the provider type, e.g. bedrock, azure-openai, vertex, anthropic or openai-compatible'),
  model: z.string().min(1).describe('the model id the provider knows, e.g. gpt-4o-mini or anthropic.claude-3-5-haiku-20241022-v1:0'),
  /**
   * The model behind a `model` that does not name it (a Bedrock application inference profile or
   * provisioned model ARN): the wire rules and the price follow it; requests still go to `model`.
   * Which providers take it, and for which models, is the provider's call (`baseModelProblem`).
   */
  base_model: z
    .string()
    .regex(/^\S+$/, 'expected a model id such as anthropic.claude-opus-4-7, without spaces')
    .refine((id) => !id.startsWith('arn:'), 'must name the model itself (e.g. anthropic.claude-opus-4-7), not an ARN: the ARN requests go to is model')
    .optional()
    .describe('the model behind an ARN that hides it, e.g. anthropic.claude-opus-4-7'),
  region: z.string().min(1).optional(),
  tags: z.array(z.string().min(1)).default([]),
  endpoint: httpUrl({ invalid: 'expected an http(s) URL', fix: 'give them as api_key or headers: { authorization: ... }', query: 'none' }).optional(),
  /** Credentials travel over plain http only to this host (loopback) unless this is set. */
  allow_insecure_http: z.boolean().default(false),
  api_key: headerSecretRef.optional(),
  /** Extra headers on every upstream request; checked here, so a bad one never reaches a socket. */
  headers: z
    .record(z.string(), z.string())
    .default({})
    .superRefine((headers, ctx) => {
      for (const [name, value] of Object.entries(headers)) {
        const problem = headerProblem(name, value);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', path: [name], message: `the header ${problem}` });
      }
    })
    // An upstream may quote what it was sent: the scrubber must know these credentials as it knows api_key.
    .transform((headers) => {
      for (const [name, value] of Object.entries(headers)) registerCredentialHeader(name, value);
      return headers;
    }),
  /** Never a setting (it was taken and ignored): refused with where the timeouts are, not silently dropped. */
  timeout_ms: z
    .unknown()
    .refine((v) => v === undefined, 'is not a deployment setting: the attempt timeout is routing.attempt_timeout_ms (streams: routing.ttft_timeout_ms), the connection\'s connect_timeout_ms')
    .optional(),
  /** Request fields beyond the mapped ones that may reach this deployment's upstream (see CONFIG.md). */
  passthrough: passthroughSchema,
  /** Pass the upstream's scrubbed error text on to clients (debugging); otherwise it goes to the log only. */
  expose_upstream_errors: z.boolean().default(false),
  // Routing fields (capabilities, context_window, provisioned): owned by src/routing/deployment.ts.
  ...deploymentRoutingShape,
});

export type DeploymentBase = z.infer<typeof deploymentSchema>;

/** A validated deployment, with its provider's options parsed. */
export type DeploymentConfig = DeploymentBase & { options: unknown };

const SERVER_DEFAULTS = {
  host: '127.0.0.1',
  port: 4000,
  body_limit_bytes: 4 * 1024 * 1024,
  shutdown_grace_ms: 10_000,
  headers_timeout_ms: 10_000,
  body_timeout_ms: 30_000,
  keep_alive_timeout_ms: 65_000,
  max_connections: 10_000,
  allowed_origins: [] as string[],
  allowed_hosts: [] as string[],
  allow_unauthenticated: false,
  server_timing: false,
};

/** One path segment's characters (RFC 3986 pchar): what a client's URL carries in the path as it is. */
const SEGMENT = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})+$/;

/** `server.base_path`: `/llm`, `/team-a/llm`; matched against the path as the client sent it. */
const basePathSchema = z.string().superRefine((path, ctx) => {
  const problem = basePathProblem(path);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

function basePathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return `must start with / (e.g. /${path.replace(/^\/*/, '')})`;
  if (path === '/') return 'must name a prefix: leave base_path out to serve at the root';
  if (path.endsWith('/')) return `must not end with / (${path.replace(/\/+$/, '')})`;
  if (/[?#]/.test(path)) return 'must be a path only, without a query (?) or fragment (#)';
  const segments = path.slice(1).split('/');
  if (segments.some((s) => s === '')) return 'must not hold an empty segment (//)';
  if (segments.some((s) => s === '.' || s === '..')) return 'must not hold a . or .. segment';
  if (segments.some((s) => !SEGMENT.test(s))) return "may hold only letters, digits, - . _ ~ ! $ & ' ( ) * + , ; = : @ and %XX escapes";
  return undefined;
}

export const serverSchema = z
  .strictObject({
    /** Node listens on every interface for an empty host: that is 0.0.0.0 or ::, written out. */
    host: z.string().min(1, 'must name the address to listen on (127.0.0.1 for this host only, 0.0.0.0 for every interface): an empty host would listen on every interface').default(SERVER_DEFAULTS.host),
    port: z.number().int().min(0).max(65535).default(SERVER_DEFAULTS.port),
    body_limit_bytes: z.number().int().positive().default(SERVER_DEFAULTS.body_limit_bytes),
    shutdown_grace_ms: timerMs().min(0).default(SERVER_DEFAULTS.shutdown_grace_ms),
    /** A client must have sent all request headers within this long (slowloris). */
    headers_timeout_ms: timerMs().positive().default(SERVER_DEFAULTS.headers_timeout_ms),
    /** ...and the whole request, body included, within this long; the answer may take longer. */
    body_timeout_ms: timerMs().positive().default(SERVER_DEFAULTS.body_timeout_ms),
    /**
     * How long an idle keep-alive connection stays open after its last answer. A load balancer in front
     * must give up on an idle backend connection first (its idle timeout below this), or it may send a
     * request on a connection the gateway is closing and answer 502. Node 20 counts headers_timeout_ms
     * from a request's first byte, not over the idle time, so the two do not constrain each other; 0
     * would turn Node's idle timeout off, every idle connection held until `max_connections` is full.
     */
    keep_alive_timeout_ms: timerMs()
      .positive('must be positive (0 would keep idle connections open forever); set it above the idle timeout of the load balancer in front')
      .default(SERVER_DEFAULTS.keep_alive_timeout_ms),
    /** Open connections beyond this are closed on accept. */
    max_connections: z.number().int().positive().default(SERVER_DEFAULTS.max_connections),
    /** Web origins whose pages may call the gateway (it refuses other origins: src/http/browser-guard.ts). */
    allowed_origins: z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/\s]+\/?$/, 'must be an origin: scheme://host[:port] (https://app.example.com, chrome-extension://<id>)')).default([]),
    /** Host names a gateway without API keys answers to, besides localhost and IP addresses (DNS rebinding). */
    allowed_hosts: z.array(z.string().regex(/^[A-Za-z0-9.-]+$/, 'must be a host name without a port')).default([]),
    /** Listen beyond loopback with no API keys (every caller an admin): only where something in front authenticates (`open-server.ts`). */
    allow_unauthenticated: z.boolean().default(SERVER_DEFAULTS.allow_unauthenticated),
    /** A `Server-Timing` header (upstream and gateway time) on model answers: off, since it tells clients the upstream's timing (src/http/server-timing.ts). */
    server_timing: z.boolean().default(SERVER_DEFAULTS.server_timing),
    /** The path prefix the gateway is served under (`/llm`) when nothing in front of it takes it off (src/http/base-path.ts). */
    base_path: basePathSchema.optional(),
  })
  .refine((s) => s.headers_timeout_ms <= s.body_timeout_ms, { path: ['headers_timeout_ms'], message: 'must not exceed body_timeout_ms (the headers are part of the request)' })
  .default(SERVER_DEFAULTS);

export const loggingSchema = z
  .strictObject({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    /**
     * The upstream's own error text (scrubbed) in `upstream error` lines. Off by default: upstreams quote
     * what they were sent, prompts included; the line then carries the text's length and a fingerprint.
     */
    upstream_error_text: z.boolean().default(false),
  })
  .default({ level: 'info', upstream_error_text: false });

/**
 * What a key may do: `user` calls models and reads its own usage; `admin` also reads gateway-wide status
 * and everyone's usage and runs the admin API; `metrics` reads GET /metrics and nothing else (a scrape
 * credential, src/http/handler.ts refuses it everywhere else).
 */
export const KEY_ROLES = ['admin', 'user', 'metrics'] as const;
export type KeyRole = (typeof KEY_ROLES)[number];

/** A client API key of the gateway itself; the tags attribute usage and drive budgets and residency. */
export const apiKeySchema = z.strictObject({
  // Every request's `key` tag, so bounded as its other tags are.
  id: z.string().regex(idPattern, 'expected letters, digits, and . _ : -').superRefine(tagValueCheck('it is the key\'s key tag')),
  key: headerSecretRef,
  // Every request's `team` and `user` tags, so bounded as its other tags are.
  team: z.string().min(1).superRefine(tagValueCheck('it is the key\'s team tag')).optional(),
  user: z.string().min(1).superRefine(tagValueCheck('it is the key\'s user tag')).optional(),
  tags: keyTagsSchema.default({}),
  /** Geography every request of this key must stay in (matched against deployment tags). */
  residency: z.string().min(1).optional(),
  /** `admin` may read gateway-wide status and everyone's usage; `user` only its own usage; `metrics` only GET /metrics. */
  role: z.enum(KEY_ROLES).default('user'),
  /** Model names this key may ask for (group names, aliases, deployment ids); with `groups`, a union. */
  models: z.array(z.string().min(1)).optional(),
  /** Groups this key may use, by any of their names. Neither list: every group. */
  groups: z.array(z.string().min(1)).optional(),
  /** Deployment ids as model names for this key; overrides `routing.allow_direct_deployments`. */
  allow_direct_deployments: z.boolean().optional(),
  /** This key's own requests and tokens per minute and per day (a `rate_limits` rule matching only it). */
  rate_limit: keyRateLimitSchema.optional(),
});

export type ApiKeyConfig = z.infer<typeof apiKeySchema>;

/** Where state shared by replicas (breakers) lives: this process, or Redis for several replicas. */
export const stateSchema = z
  .strictObject({
    store: z.enum(['memory', 'redis']).default('memory'),
    redis_url: storeUrlRef(['redis:', 'rediss:'], 'redis://:${REDIS_PASSWORD}@redis:6379'),
    /** `cluster`: `redis_url` is any node of a Redis Cluster (a configuration endpoint); `standalone`: one server. */
    redis_mode: z.enum(['standalone', 'cluster']).default('standalone'),
    key_prefix: z.string().default('switchyard:'),
  })
  .superRefine((s, ctx) => {
    if (s.store === 'redis' && !s.redis_url) ctx.addIssue({ code: 'custom', path: ['redis_url'], message: 'store "redis" needs a redis_url (e.g. ${REDIS_URL})' });
    if (s.redis_mode !== 'cluster') return;
    const text = s.redis_url?.reveal();
    const problem = text !== undefined && URL.canParse(text) ? clusterUrlProblem(new URL(text)) : undefined;
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['redis_url'], message: `with redis_mode "cluster", ${problem} (not shown: it may hold a password)` });
    // The keys' hash tags ({budget}, {ratelimit}, {state}) keep each script's keys in one slot; a brace
    // in the prefix would make Redis hash another part of the key, and the scripts would fail CROSSSLOT.
    if (/[{}]/.test(s.key_prefix)) ctx.addIssue({ code: 'custom', path: ['key_prefix'], message: 'with redis_mode "cluster", must not contain { or }: Redis Cluster would read them as the keys\' hash tag' });
  })
  .default({ store: 'memory', redis_mode: 'standalone', key_prefix: 'switchyard:' });

/** The config's shape, without the cross-field checks (which need every section parsed first). */
export const configShapeSchema = z.strictObject({
  server: serverSchema,
  logging: loggingSchema,
  routing: routingSchema,
  /** Client keys; when empty the gateway accepts unauthenticated requests (local use, the demo). */
  api_keys: z.array(apiKeySchema).default([]),
  deployments: z.array(deploymentSchema).min(1, 'at least one deployment is required'),
  groups: z.array(groupSchema).default([]),
  default_group: z.string().optional(),
  state: stateSchema,
  ledger: ledgerSchema,
  budgets: budgetsSchema,
  /** Requests and tokens per minute and per day, per key, team or tag (src/limits/config.ts). */
  rate_limits: rateLimitsSchema,
  /** Where the response cache keeps answers (groups and clients opt in). */
  cache: cacheSchema,
  /** Spot / preemption notices for the machine the gateway runs on (src/ops/interruption). */
  interruption: interruptionSchema,
  pricing: pricingSchema,
  observability: observabilitySchema,
  keys: keysSchema,
  residency: residencySchema,
  dashboard: dashboardSchema,
  /** The OpenAI Responses front door: stored conversations for previous_response_id (off by default). */
  responses: responsesSchema,
});

export const configSchema = configShapeSchema.superRefine((cfg, ctx) => {
  checkApiKeys(cfg.api_keys, ctx);
  const open = openServerProblem({ host: cfg.server.host, allowUnauthenticated: cfg.server.allow_unauthenticated, apiKeys: cfg.api_keys.length, virtualKeys: cfg.keys.hmac_secret !== undefined });
  if (open) ctx.addIssue({ code: 'custom', path: ['server', 'host'], message: open });
  // Usage rows, stored responses, budgets and limits hang on the key id: a config key shaped like a
  // virtual key's id could be one virtual key's twin.
  if (cfg.keys.hmac_secret) {
    cfg.api_keys.forEach((k, i) => {
      if (VIRTUAL_KEY_ID.test(k.id)) ctx.addIssue({ code: 'custom', path: ['api_keys', i, 'id'], message: '12 hex digits is the shape of a virtual key\'s id; with virtual keys on, give this config key another id (usage, stored responses and limits are kept by id)' });
    });
  }
  if (cfg.keys.hmac_secret && !(cfg.ledger.enabled && (cfg.ledger.store === 'sqlite' || cfg.ledger.store === 'postgres'))) {
    ctx.addIssue({ code: 'custom', path: ['keys', 'hmac_secret'], message: 'virtual keys live in the ledger database: they need ledger.enabled with store sqlite or postgres' });
  }
  if (cfg.cache.store === 'redis' && !cfg.state.redis_url) ctx.addIssue({ code: 'custom', path: ['cache', 'store'], message: 'cache.store "redis" needs state.redis_url (e.g. ${REDIS_URL})' });
  // Where serve opens the counters (budgets to count: limits, or virtual keys' own), so check-config refuses what serve would.
  if (cfg.budgets.state === 'redis' && !cfg.state.redis_url && (cfg.budgets.limits.length > 0 || cfg.keys.hmac_secret)) ctx.addIssue({ code: 'custom', path: ['budgets', 'state'], message: 'budgets.state "redis" needs state.redis_url (e.g. ${REDIS_URL})' });
  // Counters are keyed by name: two limits of one name would silently share one counter, and `key:`
  // names are the API keys' and virtual keys' own (`key:<id>`, `key:<id>:<period>`).
  const rules = new Map<string, number>();
  cfg.rate_limits.forEach((r, i) => {
    const first = rules.get(r.name);
    if (r.name.startsWith('key:')) ctx.addIssue({ code: 'custom', path: ['rate_limits', i, 'name'], message: RESERVED_NAME });
    else if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['rate_limits', i, 'name'], message: `duplicate rate limit name "${r.name}" (first at rate_limits[${first}])` });
    else rules.set(r.name, i);
  });
  const budgets = new Map<string, number>();
  cfg.budgets.limits.forEach((b, i) => {
    const first = budgets.get(b.name);
    if (b.name.startsWith('key:')) ctx.addIssue({ code: 'custom', path: ['budgets', 'limits', i, 'name'], message: RESERVED_NAME });
    else if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['budgets', 'limits', i, 'name'], message: `duplicate budget name "${b.name}" (first at budgets.limits[${first}]); each budget needs its own name` });
    else budgets.set(b.name, i);
  });
  const ids = new Map<string, number>();
  cfg.deployments.forEach((d, i) => {
    if (ids.has(d.id)) {
      ctx.addIssue({ code: 'custom', path: ['deployments', i, 'id'], message: `duplicate deployment id "${d.id}" (first at deployments[${ids.get(d.id)}])` });
    } else ids.set(d.id, i);
  });
  const names = new Map<string, string>();
  cfg.groups.forEach((g, gi) => {
    [g.name, ...g.aliases].forEach((name, ni) => {
      const owner = names.get(name);
      const at = ni === 0 ? ['groups', gi, 'name'] : ['groups', gi, 'aliases', ni - 1];
      if (owner !== undefined) ctx.addIssue({ code: 'custom', path: at, message: `model name "${name}" is already used by ${owner}` });
      names.set(name, `groups[${gi}]`);
    });
    const listed = new Map<string, number>();
    groupMembers(g).forEach((m, mi) => {
      const first = listed.get(m.id);
      if (!ids.has(m.id)) {
        ctx.addIssue({ code: 'custom', path: ['groups', gi, 'deployments', mi], message: `unknown deployment "${m.id}"; ${ids.size > 0 ? `known: ${[...ids.keys()].join(', ')}` : 'no deployment is defined'}` });
      } else if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['groups', gi, 'deployments', mi], message: repeatedMember(m.id, `groups[${gi}].deployments[${first}]`) });
      } else listed.set(m.id, mi);
    });
  });
  cfg.rate_limits.forEach((r, i) => {
    if (r.group !== undefined && !cfg.groups.some((g) => g.name === r.group)) ctx.addIssue({ code: 'custom', path: ['rate_limits', i, 'group'], message: `unknown group "${r.group}"` });
  });
  if (cfg.default_group !== undefined && !cfg.groups.some((g) => g.name === cfg.default_group)) {
    ctx.addIssue({ code: 'custom', path: ['default_group'], message: `unknown group "${cfg.default_group}"` });
  }
});

/**
 * A member listed twice is planned twice: the router would try it again after it failed (a fallback to
 * itself, retries and all) and give it twice its share of traffic under weighted, round-robin or random.
 */
function repeatedMember(id: string, first: string): string {
  return listedTwice(`deployment "${id}"`, 'this group', first, 'it would be tried again after it failed and get twice its share of traffic', 'list it once (to change its share, use strategy: weighted with a weight)');
}

/** The fields of a key that govern model calls, which a `role: metrics` key never makes. */
const METRICS_KEY_UNUSED = ['models', 'groups', 'allow_direct_deployments', 'residency', 'rate_limit'] as const;

/**
 * Each key id and each key once: a repeated key would silently act as whichever came last. A `role:
 * metrics` key has none of the model-call fields: on a scrape key they would only mislead the reader.
 */
function checkApiKeys(keys: readonly ApiKeyConfig[], ctx: z.RefinementCtx): void {
  const ids = new Map<string, number>();
  const secrets = new Map<string, number>();
  keys.forEach((k, i) => {
    if (k.role === 'metrics') {
      for (const field of METRICS_KEY_UNUSED) {
        if (k[field] !== undefined) ctx.addIssue({ code: 'custom', path: ['api_keys', i, field], message: 'a role: metrics key reads GET /metrics only and calls no model; remove this field' });
      }
    }
    const first = ids.get(k.id);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['api_keys', i, 'id'], message: `duplicate api key id "${k.id}" (first at api_keys[${first}])` });
    else ids.set(k.id, i);
    // A key that did not resolve (an unset variable) has its own issue already, and no value to compare.
    if (!(k.key instanceof Secret)) return;
    const same = secrets.get(k.key.reveal());
    if (same !== undefined) ctx.addIssue({ code: 'custom', path: ['api_keys', i, 'key'], message: `the same key as api_keys[${same}]` });
    else secrets.set(k.key.reveal(), i);
  });
}

export type ConfigInput = z.input<typeof configSchema>;
type ParsedConfig = z.infer<typeof configSchema>;

/** The validated configuration the gateway runs on. */
export type GatewayConfig = Omit<ParsedConfig, 'deployments'> & { deployments: DeploymentConfig[] };
