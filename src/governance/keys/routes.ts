import { auditActor, requireAdmin } from '../../http/auth.js';
import { parseJson } from '../../http/body.js';
import { fromLedger } from '../../http/ledger-query.js';
import { privateJsonResponse } from '../../http/respond.js';
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
