import * as z from '../config/zod.js';

/** `dashboard:` in the config: the live page at GET /dashboard (admin keys only). */
export const dashboardSchema = z
  .strictObject({
    /** Serve GET /dashboard and GET /dashboard/events; off, both answer 404. */
    enabled: z.boolean().default(true),
    /** Time between live updates of a connected dashboard. */
    update_ms: z.number().int().min(250).max(60_000).default(1_000),
  })
  .prefault({});

export type DashboardConfig = z.infer<typeof dashboardSchema>;
