import { createHash } from 'node:crypto';
import { GatewayError } from '../core/errors.js';
import type { GatewayConfig, KeyRole } from '../config/schema.js';
import { accessFor, type Access } from '../routing/access.js';
import type { HeaderMap } from './exchange.js';

export interface Caller {
  keyId: string | undefined;
  residency: string | undefined;
  tags: Record<string, string>;
  /**
   * `admin` (or no api_keys configured) may read gateway-wide status and everyone's usage and run the
   * admin API; `metrics` may read GET /metrics and nothing else; `user` its own work and usage.
   */
  role: KeyRole;
  /** What the caller may route to, precomputed per key. */
  access: Access;
}

const NO_ACCESS: Access = Object.freeze({ groups: new Set<string>(), directEnabled: false, direct: new Map(), models: [] });

/** The caller of a public route (health checks): may do nothing else. */
export const NOBODY: Caller = Object.freeze({ keyId: undefined, residency: undefined, tags: {}, role: 'user', access: NO_ACCESS });

const digest = (key: string): string => createHash('sha256').update(key).digest('hex');

/** Keys created at run time (src/governance/keys): `sy-...` tokens, looked up in memory. */
export interface VirtualKeyLookup {
  lookup(token: string): Caller | undefined;
}

const VIRTUAL_PREFIX = 'sy-';

/**
 * Authenticates callers by their bearer key. Config keys are looked up by their SHA-256, so a lookup
 * takes the same time whatever the key, and the plain keys are not kept in a map; `sy-` tokens go to the
 * virtual keys when there are any. No keys of either kind: open, and the one anonymous caller is an
 * admin with the config's default access (local use, the demo).
 */
export function createAuthenticator(
  config: Pick<GatewayConfig, 'api_keys' | 'groups' | 'deployments' | 'routing'>,
  virtual?: VirtualKeyLookup,
): (headers: HeaderMap) => Caller {
  if (config.api_keys.length === 0 && !virtual) {
    const anonymous: Caller = Object.freeze({ keyId: undefined, residency: undefined, tags: {}, role: 'admin', access: accessFor(config) });
    return () => anonymous;
  }
  const byDigest = new Map<string, Caller>();
  for (const k of config.api_keys) {
    const tags: Record<string, string> = { ...k.tags, key: k.id };
    if (k.team) tags.team = k.team;
    if (k.user) tags.user = k.user;
    // A scrape key reaches no model even if a route forgot to refuse it (the handler refuses it first).
    const access = k.role === 'metrics' ? NO_ACCESS : accessFor(config, k);
    byDigest.set(digest(k.key.reveal()), { keyId: k.id, residency: k.residency, tags, role: k.role, access });
  }
  return (headers) => {
    const header = headers.authorization ?? '';
    // The auth scheme is case-insensitive (RFC 7235).
    // `api-key` is Azure OpenAI's header, `x-api-key` Anthropic's: clients of either find their usual one.
    const apiKey = /^bearer /i.test(header) ? header.slice(7).trim() : (headers['api-key'] ?? headers['x-api-key']);
    let caller: Caller | undefined;
    // A config key may happen to start with `sy-` too: it is looked up when no virtual key matched.
    if (apiKey) caller = (virtual && apiKey.startsWith(VIRTUAL_PREFIX) ? virtual.lookup(apiKey) : undefined) ?? byDigest.get(digest(apiKey));
    if (!caller) {
      throw new GatewayError({ kind: 'unauthenticated', code: 'invalid_api_key', message: 'A valid API key is required (Authorization: Bearer <key>, x-api-key or api-key).' });
    }
    return caller;
  };
}

/** Refuses callers that are not admins (gateway-wide views). */
export function requireAdmin(caller: Caller): void {
  if (caller.role !== 'admin') throw new GatewayError({ kind: 'forbidden', code: 'admin_required', message: 'This route needs an API key with role: admin.' });
}

/** Refuses callers that may not read GET /metrics: admins and `role: metrics` keys may. */
export function requireMetricsReader(caller: Caller): void {
  if (caller.role !== 'admin' && caller.role !== 'metrics') {
    throw new GatewayError({ kind: 'forbidden', code: 'admin_required', message: 'GET /metrics needs an API key with role: admin or role: metrics.' });
  }
}

/**
 * Refuses a `role: metrics` key on a route that does not take scrapes: the handler calls it before any
 * such route runs, so a scrape credential can never drain, reload or call a model, whatever a route checks.
 */
export function refuseScrapeOnly(caller: Caller): void {
  if (caller.role === 'metrics') throw new GatewayError({ kind: 'forbidden', code: 'metrics_key_only', message: 'This API key has role: metrics: it may only read GET /metrics.' });
}

/** Who acts, in the audit log: the caller's key (`key:<id>`), or `anonymous` on a gateway without keys. */
export function auditActor(caller: Caller): string {
  return caller.keyId === undefined ? 'anonymous' : `key:${caller.keyId}`;
}
