import type { GatewayStatus } from '../gateway/engine.js';
import { privateJsonResponse } from './respond.js';
import { requireAdmin } from './auth.js';
import type { Route } from './route.js';

/**
 * GET /v1/switchyard/status: per-deployment stats, breakers and health; gateway-wide, so admins only.
 * `combine` widens the answering process's status to the whole process group (a `serve --workers`
 * worker's: every worker's status, combined by the primary); without it, or when it fails, the status
 * is this process's.
 */
export function createStatusRoute(combine?: (own: GatewayStatus) => Promise<GatewayStatus>): Route {
  return {
    method: 'GET',
    path: '/v1/switchyard/status',
    handle: async ({ gateway, caller }) => {
      requireAdmin(caller);
      const own = gateway.status();
      if (!combine) return privateJsonResponse(200, own);
      // Operators read this in an incident: a primary that does not answer leaves this worker's own figures, said so.
      const status = await combine(own).catch((): GatewayStatus => ({ ...own, workers: { answered: 1, expected: null } }));
      return privateJsonResponse(200, status);
    },
  };
}

/** GET /v1/switchyard/status of a single process (or a serverless instance). */
export const statusRoute: Route = createStatusRoute();
