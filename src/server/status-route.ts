import type { Route } from './routes.js';
import { sendJson } from './http-util.js';
import { requireAdmin } from './auth.js';

/** GET /v1/switchyard/status: per-deployment stats, breakers and health; gateway-wide, so admins only. */
export const statusRoute: Route = {
  method: 'GET',
  path: '/v1/switchyard/status',
  handle: async ({ res, gateway, caller }) => {
    requireAdmin(caller);
    sendJson(res, 200, gateway.status());
  },
};
