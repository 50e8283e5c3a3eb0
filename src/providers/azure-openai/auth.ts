import type { Secret } from '../../config/secret.js';
import type { CancelSignal } from '../../core/cancel.js';
import type { EntraTokenSource } from './entra.js';

/**
 * Adds the credential of one request; a wrapper around the HTTP call, as SigV4 is for Bedrock. Copies
 * with Object.assign: on Node 20 a key added after a spread (`{ ...base, key }`) gives every copy a
 * hidden class of its own (docs/ARCHITECTURE.md, Conventions).
 */
export interface Authorizer {
  headers(base: Record<string, string>, signal: CancelSignal): Promise<Record<string, string>>;
  /** Called when the upstream answered 401, so a revoked token is not reused. */
  rejected(): void;
}

/** The resource key in Azure's `api-key` header. */
export function apiKeyAuthorizer(key: Secret): Authorizer {
  return {
    headers: (base) => Promise.resolve(Object.assign({}, base, { 'api-key': key.reveal() })),
    rejected: () => undefined,
  };
}

/** A Microsoft Entra ID access token as `Authorization: Bearer`. */
export function entraAuthorizer(tokens: EntraTokenSource): Authorizer {
  return {
    headers: async (base, signal) => Object.assign({}, base, { authorization: `Bearer ${await tokens.token(signal)}` }),
    rejected: () => tokens.invalidate(),
  };
}
