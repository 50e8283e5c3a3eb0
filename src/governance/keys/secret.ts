import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { VIRTUAL_KEY_ID } from '../config.js';

/**
 * Virtual key format: `sy-<id>-<secret>`, the id 12 hex digits, the secret 32 random bytes in
 * base64url. The id finds the stored record without scanning; only the secret's HMAC is stored.
 */
const PREFIX = 'sy-';
const ID_LENGTH = 12;

/** A new key id. */
export function newKeyId(): string {
  return randomBytes(ID_LENGTH / 2).toString('hex');
}

/** A new secret for key `id`: the presented key and what is stored of it. */
export function newKeySecret(id: string, hmacSecret: string): { key: string; hmac: string } {
  const secret = randomBytes(32).toString('base64url');
  return { key: `${PREFIX}${id}-${secret}`, hmac: keyHmac(hmacSecret, id, secret).toString('hex') };
}

/** The HMAC stored for a key; the id is bound in, so a stored HMAC copied to another row verifies nothing. */
export function keyHmac(hmacSecret: string, id: string, secret: string): Buffer {
  return createHmac('sha256', hmacSecret).update(id).update('.').update(secret).digest();
}

/** Splits a presented key into id and secret, or undefined when it is not a virtual key. */
export function parseKey(presented: string): { id: string; secret: string } | undefined {
  if (!presented.startsWith(PREFIX) || presented.charCodeAt(PREFIX.length + ID_LENGTH) !== 45 /* - */) return undefined;
  const id = presented.slice(PREFIX.length, PREFIX.length + ID_LENGTH);
  const secret = presented.slice(PREFIX.length + ID_LENGTH + 1);
  return VIRTUAL_KEY_ID.test(id) && secret.length > 0 ? { id, secret } : undefined;
}

/** Whether `secret` is the one whose HMAC is `stored`, in time independent of where they differ. */
export function secretMatches(hmacSecret: string, id: string, secret: string, stored: Buffer): boolean {
  const mac = keyHmac(hmacSecret, id, secret);
  return mac.length === stored.length && timingSafeEqual(mac, stored);
}
