import { requireAdmin } from '../http/auth.js';
import type { Route } from '../http/route.js';
import type { DashboardConfig } from './config.js';
import { DashboardSnapshots, dashboardEvents, type DashboardSource } from './feed.js';
import { dashboardPage } from './page.js';

/**
 * GET /dashboard and GET /dashboard/events; none when `dashboard.enabled` is false (both then 404).
 * The page is public: it is static and carries no data, and a browser cannot send the admin key when
 * it navigates to it (the page's script sends it to the feed, which is admin-only).
 */
export function createDashboardRoutes(source: DashboardSource, config: DashboardConfig): Route[] {
  if (!config.enabled) return [];
  // One set of snapshots for every open page: pages add frames, not status rounds or ledger queries.
  const snapshots = new DashboardSnapshots(source, { freshMs: config.update_ms / 2 });
  return [
    { method: 'GET', path: '/dashboard', public: true, handle: async () => dashboardPage() },
    {
      method: 'GET',
      path: '/dashboard/events',
      // Open for as long as the page is: in the in-flight gauge and duration series it would look like
      // hours-long client requests.
      observed: false,
      handle: async (ctx) => {
        requireAdmin(ctx.caller);
        // Open for hours: a key revoked (or no longer an admin's) meanwhile ends it at its next frame.
        return dashboardEvents(snapshots, ctx.request.signal, { intervalMs: config.update_ms, listener: ctx, recheck: () => requireAdmin(ctx.callerNow()) });
      },
    },
  ];
}
