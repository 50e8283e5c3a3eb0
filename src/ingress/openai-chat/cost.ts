import type { ServedBy } from '../../gateway/gateway.js';
import type { Usage } from '../../core/types.js';
import type { RouteContext } from '../../http/route.js';

/** The usage extension with the answer's cost; `cost_usd: null` marks an unpriced model. */
export function costExtension(ctx: RouteContext, servedBy: ServedBy, usage: Usage | undefined, estimated = false): { switchyard: Record<string, unknown> } | undefined {
  if (!ctx.costOf) return estimated ? { switchyard: { estimated: true } } : undefined;
  const cost = ctx.costOf(servedBy, usage);
  const ext: Record<string, unknown> = { cost_usd: cost.priced ? cost.usd ?? null : null };
  if (estimated) ext.estimated = true;
  return { switchyard: ext };
}
