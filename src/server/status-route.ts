import type { Route } from './routes.js';
import { sendJson } from './http-util.js';

/** GET /v1/switchyard/status: per-deployment stats, breakers and health (authenticated like the API). */
export const statusRoute: Route = {
  method: 'GET',
  path: '/v1/switchyard/status',
  handle: async ({ res, gateway }) => sendJson(res, 200, gateway.status()),
};
