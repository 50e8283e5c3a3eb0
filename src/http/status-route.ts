import { jsonResponse } from './respond.js';
import { requireAdmin } from './auth.js';
import type { Route } from './route.js';

/** GET /v1/switchyard/status: per-deployment stats, breakers and health; gateway-wide, so admins only. */
export const statusRoute: Route = {
  method: 'GET',
  path: '/v1/switchyard/status',
  handle: async ({ gateway, caller }) => {
    requireAdmin(caller);
    return jsonResponse(200, gateway.status());
  },
};
