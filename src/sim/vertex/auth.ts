import { createPublicKey, verify, type KeyObject } from 'node:crypto';

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
const SKEW_S = 60;

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Accepts a PEM string or a key object for the service account's public half. */
export function toPublicKey(key: string | KeyObject): KeyObject {
  return typeof key === 'string' ? createPublicKey(key) : key.type === 'private' ? createPublicKey(key) : key;
}

/**
 * Checks `Authorization: Bearer <jwt>` the way Google checks a self-signed service-account JWT:
 * RS256 signature against the account's public key, not expired, and scoped to cloud-platform (or
 * with an audience). Returns the reason it is refused, or undefined when it is good.
 */
export function checkBearer(authorization: string | undefined, publicKey: KeyObject, nowS: number): string | undefined {
  if (!authorization?.startsWith('Bearer ')) return 'missing bearer token';
  const parts = authorization.slice('Bearer '.length).split('.');
  if (parts.length !== 3) return 'not a JWT';
  const [head, body, signature] = parts as [string, string, string];
  const header = decodeSegment(head);
  const claims = decodeSegment(body);
  if (!header || !claims) return 'undecodable JWT';
  if (header.alg !== 'RS256') return `unsupported alg ${String(header.alg)}`;
  const ok = verify('RSA-SHA256', Buffer.from(`${head}.${body}`), publicKey, Buffer.from(signature, 'base64url'));
  if (!ok) return 'bad signature';
  if (typeof claims.exp !== 'number' || claims.exp + SKEW_S < nowS) return 'expired';
  if (typeof claims.iat === 'number' && claims.iat - SKEW_S > nowS) return 'issued in the future';
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
  if (!scopes.includes(CLOUD_PLATFORM) && typeof claims.aud !== 'string') return 'missing cloud-platform scope';
  return undefined;
}
