import type { ServedBy } from '../../gateway/gateway.js';
import type { BilledAttempt, Usage } from '../../core/types.js';
import type { CostFn, RouteContext } from '../../http/route.js';

/**
 * The usage extension with the answer's cost; `cost_usd: null` marks an unpriced model. An answer of
 * several attempts (a resumed stream) costs each one's usage at its own deployment's price.
 */
export function costExtension(
  ctx: RouteContext,
  servedBy: ServedBy,
  usage: Usage | undefined,
  estimated = false,
  attempts?: readonly BilledAttempt[],
): { switchyard: Record<string, unknown> } | undefined {
  if (!ctx.costOf) return estimated ? { switchyard: { estimated: true } } : undefined;
  // A cache hit (no upstream attempt) costs nothing; the ledger books what it saved.
  const cost = servedBy.attempts === 0 ? { usd: 0, priced: true } : attempts ? costOfAttempts(ctx.costOf, attempts) : ctx.costOf(servedBy, usage);
  const ext: Record<string, unknown> = { cost_usd: cost.priced ? cost.usd ?? null : null };
  if (estimated) ext.estimated = true;
  return { switchyard: ext };
}

function costOfAttempts(costOf: CostFn, attempts: readonly BilledAttempt[]): ReturnType<CostFn> {
  let usd = 0;
  for (const a of attempts) {
    const cost = costOf(a, a.usage);
    if (!cost.priced || cost.usd === undefined) return { usd: undefined, priced: false };
    usd += cost.usd;
  }
  return { usd, priced: true };
}
