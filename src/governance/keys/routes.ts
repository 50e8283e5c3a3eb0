import { auditActor, requireAdmin } from '../../http/auth.js';
import { parseJson } from '../../http/body.js';
import { fromLedger } from '../../http/ledger-query.js';
import { privateJsonResponse } from '../../http/respond.js';
import { GatewayError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Route, RouteContext } from '../../http/route.js';
import type { KeysAdmin } from './admin.js';

async function bodyOf(ctx: RouteContext): Promise<unknown> {
  const bytes = await ctx.body();
  return bytes.byteLength > 0 ? parseJson(bytes) : undefined;
}

/**
 * `/v1/switchyard/keys`: create, list, revoke and rotate virtual keys (admin keys only; audited by the
 * store). The keys live in the ledger's database: while it cannot be reached, a 503 (`fromLedger`).
 */
export function createKeysRoutes(admin: KeysAdmin, logger: Logger): Route[] {
  return [
    {
      method: 'POST',
      path: '/v1/switchyard/keys',
      async handle(ctx) {
        requireAdmin(ctx.caller);
        const body = await bodyOf(ctx);
        return privateJsonResponse(201, await fromLedger(() => admin.create(body, auditActor(ctx.caller)), logger, 'key creation failed'));
      },
    },
    {
      method: 'GET',
      path: '/v1/switchyard/keys',
      async handle(ctx) {
        requireAdmin(ctx.caller);
        return privateJsonResponse(200, await fromLedger(() => admin.list(), logger, 'key listing failed'));
      },
    },
    {
      method: 'POST',
      path: '/v1/switchyard/keys/{id}/revoke',
      async handle(ctx) {
        requireAdmin(ctx.caller);
        return privateJsonResponse(200, await fromLedger(() => admin.revoke(ctx.params.id ?? '', auditActor(ctx.caller)), logger, 'key revocation failed'));
      },
    },
    {
      method: 'POST',
      path: '/v1/switchyard/keys/{id}/rotate',
      async handle(ctx) {
        requireAdmin(ctx.caller);
        return privateJsonResponse(200, await fromLedger(() => admin.rotate(ctx.params.id ?? '', auditActor(ctx.caller)), logger, 'key rotation failed'));
      },
    },
  ];
}

/** Where the keys routes are when virtual keys are off: the reason each answers with. */
export const KEYS_OFF = {
  noSecret: 'Virtual keys are off on this gateway: set keys.hmac_secret (at least 32 characters) to manage them.',
  noSqlLedger: 'Virtual keys are off on this gateway: they live in the ledger database, so they need keys.hmac_secret and ledger.store sqlite or postgres.',
} as const;

/**
 * The same paths while virtual keys are off: an admin is told why (a 404 `keys_disabled`, as the usage
 * route says `ledger_disabled`), not "unknown route", which reads as a typo in the path.
 */
export function keysOffRoutes(reason: string): Route[] {
  const off = (method: Route['method'], path: string): Route => ({
    method,
    path,
    handle(ctx) {
      requireAdmin(ctx.caller);
      return Promise.reject(new GatewayError({ kind: 'not_found', code: 'keys_disabled', message: reason }));
    },
  });
  return [off('POST', '/v1/switchyard/keys'), off('GET', '/v1/switchyard/keys'), off('POST', '/v1/switchyard/keys/{id}/revoke'), off('POST', '/v1/switchyard/keys/{id}/rotate')];
}
