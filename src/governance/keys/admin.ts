import { GatewayError } from '../../core/errors.js';
import { parseKeyPolicy } from './policy.js';
import { parseKey } from './secret.js';
import type { KeyStore, VirtualKey } from './store.js';
import { VIRTUAL_KEY_ID } from '../config.js';

/**
 * The admin API over virtual keys (`/v1/switchyard/keys`, admin role): plain functions taking the
 * parsed JSON body and returning JSON-able results, or throwing GatewayError (4xx for bad input).
 * `actor` names who acts in the audit log (`key:<id>` of the admin's key).
 */
export interface KeysAdmin {
  /** POST /v1/switchyard/keys: the body is a key policy; answers `{ key, ...record }` (the secret, once). */
  create(body: unknown, actor: string): Promise<VirtualKey & { key: string }>;
  /** GET /v1/switchyard/keys */
  list(): Promise<{ object: 'list'; data: VirtualKey[] }>;
  /** POST /v1/switchyard/keys/{id}/revoke */
  revoke(id: string, actor: string): Promise<VirtualKey>;
  /** POST /v1/switchyard/keys/{id}/rotate: answers `{ key, ...record }` with the new secret, once. */
  rotate(id: string, actor: string): Promise<VirtualKey & { key: string }>;
}


/**
 * Refuses what is no key id without quoting it: an admin pasting the key, secret and all, where its id
 * goes (a URL path, the CLI's argument) is an easy mistake, and error answers end up in client logs.
 * Such a key is named by its id, which it starts with.
 */
function checkId(id: string): void {
  if (VIRTUAL_KEY_ID.test(id)) return;
  const pasted = parseKey(id);
  const hint = pasted ? ` It is a virtual key itself, secret and all: its id is ${pasted.id}.` : '';
  throw new GatewayError({ kind: 'invalid_request', message: `That is not a virtual key id (12 hex digits).${hint}`, param: 'id', code: 'invalid_key_id' });
}

/** The admin API bound to a key store. */
export function keysAdmin(store: KeyStore): KeysAdmin {
  return {
    async create(body, actor) {
      if (body !== undefined && (body === null || typeof body !== 'object' || Array.isArray(body))) {
        throw new GatewayError({ kind: 'invalid_request', message: 'The body must be a JSON object (the key policy).', code: 'invalid_key_policy' });
      }
      const { key, record } = await store.create(parseKeyPolicy(body), actor);
      return { ...record, key };
    },
    async list() {
      return { object: 'list', data: await store.list() };
    },
    async revoke(id, actor) {
      checkId(id);
      return store.revoke(id, actor);
    },
    async rotate(id, actor) {
      checkId(id);
      const { key, record } = await store.rotate(id, actor);
      return { ...record, key };
    },
  };
}
