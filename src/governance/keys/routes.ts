import { auditActor, requireAdmin } from '../../http/auth.js';
import { parseJson } from '../../http/body.js';
import { jsonResponse } from '../../http/respond.js';
import type { Route, RouteContext } from '../../http/route.js';
import type { KeysAdmin } from './admin.js';

async function bodyOf(ctx: RouteContext): Promise<unknown> {
  const bytes = await ctx.body();
  return bytes.byteLength > 0 ? parseJson(bytes) : undefined;
}

/** `/v1/switchyard/keys`: create, list, revoke and rotate virtual keys (admin keys only; audited by the store). */
export function createKeysRoutes(admin: KeysAdmin): Route[] {
  return [
    {
      method: 'POST',
      path: '/v1/switchyard/keys',
      async handle(ctx) {
        requireAdmin(ctx.caller);
        return jsonResponse(201, await admin.create(await bodyOf(ctx), auditActor(ctx.caller)));
      },
    },
    {
      method: 'GET',
      path: '/v1/switchyard/keys',
      async handle(ctx) {
        requireAdmin(ctx.caller);
        return jsonResponse(200, await admin.list());
      },
    },
    {
      method: 'POST',
      path: '/v1/switchyard/keys/{id}/revoke',
      async handle(ctx) {
        requireAdmin(ctx.caller);
        return jsonResponse(200, await admin.revoke(ctx.params.id ?? '', auditActor(ctx.caller)));
      },
    },
    {
      method: 'POST',
      path: '/v1/switchyard/keys/{id}/rotate',
      async handle(ctx) {
        requireAdmin(ctx.caller);
        return jsonResponse(200, await admin.rotate(ctx.params.id ?? '', auditActor(ctx.caller)));
      },
    },
  ];
}
