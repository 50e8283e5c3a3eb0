import { requireMetricsReader } from './auth.js';
import type { Route } from './route.js';

/** What GET /metrics serves (src/observability). */
export interface MetricsSource {
  render(): Promise<string>;
  readonly contentType: string;
}

/**
 * GET /metrics in the Prometheus text format. Public by default, as scrapers send no API key (the
 * series carry no secrets or prompts, and their labels come from the config); `isPublic: false` asks
 * for an admin or a `role: metrics` key. Never observed: scrapes are not in the series they read.
 */
export function metricsRoute(metrics: MetricsSource, isPublic: boolean): Route {
  return {
    method: 'GET',
    path: '/metrics',
    public: isPublic,
    // A scrape is no client work: counted, the gauge would read 1 at idle.
    observed: false,
    scrape: true,
    async handle({ caller }) {
      if (!isPublic) requireMetricsReader(caller);
      return { status: 200, headers: { 'content-type': metrics.contentType, 'x-content-type-options': 'nosniff' }, body: await metrics.render() };
    },
  };
}
