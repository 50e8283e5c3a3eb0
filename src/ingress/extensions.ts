import type { ServedBy } from '../gateway/gateway.js';
import type { RouteContext } from '../http/route.js';

/**
 * Switchyard's extras in answer bodies (the cost under `usage.switchyard`, provider data under
 * `switchyard_extensions`) are opt-in, so an answer is the provider API's own shape unless asked:
 * per request with `x-switchyard-extensions: true` (or its older name `x-switchyard-stream-extensions`),
 * or for a group's clients with `stream_extensions`. The cost travels in `x-switchyard-cost-usd` either way.
 */
export function wantsExtensions(ctx: RouteContext, servedBy: ServedBy): boolean {
  const headers = ctx.request.headers;
  if (headers['x-switchyard-extensions'] === 'true' || headers['x-switchyard-stream-extensions'] === 'true') return true;
  return servedBy.group !== undefined && ctx.gateway.config.groups.some((g) => g.name === servedBy.group && g.stream_extensions);
}
