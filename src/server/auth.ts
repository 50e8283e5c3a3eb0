import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../core/errors.js';
import type { ApiKeyConfig } from '../config/schema.js';

export interface Caller {
  keyId: string | undefined;
  residency: string | undefined;
  tags: Record<string, string>;
}

const ANONYMOUS: Caller = Object.freeze({ keyId: undefined, residency: undefined, tags: {} });

const digest = (key: string): string => createHash('sha256').update(key).digest('hex');

/**
 * Authenticates callers by their bearer key. Keys are looked up by their SHA-256, so a lookup takes the
 * same time whatever the key, and the plain keys are not kept in a map. No keys configured: open.
 */
export function createAuthenticator(keys: readonly ApiKeyConfig[]): (req: IncomingMessage) => Caller {
  if (keys.length === 0) return () => ANONYMOUS;
  const byDigest = new Map<string, Caller>();
  for (const k of keys) {
    const tags: Record<string, string> = { ...k.tags, key: k.id };
    if (k.team) tags.team = k.team;
    if (k.user) tags.user = k.user;
    byDigest.set(digest(k.key.reveal()), { keyId: k.id, residency: k.residency, tags });
  }
  return (req) => {
    const header = req.headers.authorization ?? '';
    // The auth scheme is case-insensitive (RFC 7235).
    const apiKey = /^bearer /i.test(header) ? header.slice(7).trim() : (req.headers['api-key'] as string | undefined);
    const caller = apiKey ? byDigest.get(digest(apiKey)) : undefined;
    if (!caller) {
      throw new GatewayError({ kind: 'authentication', status: 401, code: 'invalid_api_key', message: 'A valid API key is required (Authorization: Bearer <key>).' });
    }
    return caller;
  };
}
