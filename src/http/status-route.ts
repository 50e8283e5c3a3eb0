import type { GatewayStatus } from '../gateway/engine.js';
import { jsonResponse } from './respond.js';
import { requireAdmin } from './auth.js';
import type { Route } from './route.js';

/**
 * GET /v1/switchyard/status: per-deployment stats, breakers and health; gateway-wide, so admins only.
 * `combine` widens the answering process's status to the whole process group (a `serve --workers`
 * worker's: every worker's status, combined by the primary); without it the status is this process's.
 */
export function createStatusRoute(combine?: (own: GatewayStatus) => Promise<GatewayStatus>): Route {
  return {
    method: 'GET',
    path: '/v1/switchyard/status',
    handle: async ({ gateway, caller }) => {
      requireAdmin(caller);
      const own = gateway.status();
      return jsonResponse(200, combine ? await combine(own) : own);
    },
  };
}

/** GET /v1/switchyard/status of a single process (or a serverless instance). */
export const statusRoute: Route = createStatusRoute();
