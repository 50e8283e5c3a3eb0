import type { Logger } from '../core/logger.js';
import type { AuditLog } from '../governance/audit/log.js';
import { auditActor, requireAdmin } from '../http/auth.js';
import { parseJson } from '../http/body.js';
import { privateJsonResponse } from '../http/respond.js';
import type { Route, RouteContext } from '../http/route.js';
import { ADMIN_ROUTES, type AdminRoute, type AdminTarget } from './admin.js';
import { errorMessage } from '../core/error-trace.js';

export interface AdminRoutesOptions {
  /** The audit log (a SQL ledger store); without one, the operator log lines (`"audit": true`) are the record. */
  audit: AuditLog | undefined;
  logger: Logger;
}

/** The admin operations as HTTP routes: admin keys only (403 otherwise), each success audited. */
export function createAdminRoutes(target: AdminTarget, options: AdminRoutesOptions): Route[] {
  return ADMIN_ROUTES.map((r) => ({ method: r.method, path: r.path, handle: (ctx) => runAdmin(r, target, options, ctx) }));
}

async function runAdmin(r: AdminRoute, target: AdminTarget, { audit, logger }: AdminRoutesOptions, ctx: RouteContext): Promise<ReturnType<typeof privateJsonResponse>> {
  requireAdmin(ctx.caller);
  const bytes = r.method === 'POST' ? await ctx.body() : undefined;
  const body = bytes && bytes.byteLength > 0 ? parseJson(bytes) : undefined;
  const actor = auditActor(ctx.caller);
  const result = await r.run(target, { params: ctx.params, body, actor: ctx.caller.keyId });
  const id = ctx.params.id;
  const subject = id === undefined ? r.subject : `${r.subject}:${id}`;
  const log = target.audit ? target.audit() : audit;
  if (log) {
    // The action is done: a failed append must not turn its answer into an error, but it must be seen.
    await log
      .append({ actor, action: r.action, subject, details: { ...(typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}), ...r.audited?.(result) } })
      .catch((err: unknown) => logger.error({ err: errorMessage(err), action: r.action, subject }, 'audit append failed'));
  }
  return privateJsonResponse(200, result);
}
