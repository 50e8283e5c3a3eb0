import { provisionedSchema, type ProvisionedConfig } from '../../routing/provisioned.js';
import type { GatewayConfig } from '../../config/schema.js';
import { groupMembers } from '../../routing/config.js';
import type { LedgerStore } from '../store/sql-store.js';
import { formatUsd } from './formats.js';

const DAY = 86_400_000;
/** Days in the month used to spread a monthly price (365.25 / 12). */
const MONTH_DAYS = 30.4375;

/** Break-even of one provisioned deployment against the on-demand spend of its peers. */
export interface Advice {
  deployment: string;
  model: string;
  monthlyUsd: number;
  /** On-demand deployments it competes with: same group or same model. */
  peers: string[];
  days: number;
  onDemandUsd: number;
  projectedMonthlyUsd: number;
  breakEvenDailyUsd: number;
  /** Days whose on-demand spend exceeded the daily break-even. */
  daysOverBreakEven: string[];
  /** Projected monthly on-demand spend minus the provisioned price (positive: provisioned is cheaper). */
  overBreakEvenUsd: number;
  /** Traffic the provisioned deployment served, valued at on-demand prices (its utilisation in dollars). */
  servedOnProvisionedUsd: number;
  verdict: 'above-break-even' | 'below-break-even';
}

/** The `provisioned` block of a deployment, read defensively (absent or invalid: not provisioned). */
export function provisionedOf(deployment: object): ProvisionedConfig | undefined {
  const raw = (deployment as { provisioned?: unknown }).provisioned;
  if (raw === undefined) return undefined;
  const parsed = provisionedSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/** Per provisioned deployment: where on-demand spend crossed its break-even, and by how much. */
export async function advise(store: LedgerStore, config: GatewayConfig, from: number, to: number): Promise<Advice[]> {
  const provisioned = config.deployments.flatMap((d) => {
    const p = provisionedOf(d);
    return p ? [{ d, p }] : [];
  });
  if (provisioned.length === 0) return [];
  const rows = await store.summarize({ from, to, groupBy: ['deployment', 'day'] });
  const days = Math.max(1, Math.round((to - from) / DAY));
  const isProvisioned = new Set(provisioned.map((x) => x.d.id));
  return provisioned.map(({ d, p }) => {
    const groups = config.groups.filter((g) => groupMembers(g).some((m) => m.id === d.id));
    const peers = config.deployments
      .filter((o) => !isProvisioned.has(o.id) && (o.model === d.model || groups.some((g) => groupMembers(g).some((m) => m.id === o.id))))
      .map((o) => o.id);
    const byDay = new Map<string, number>();
    let served = 0;
    for (const r of rows) {
      if (r.keys.deployment === d.id) served += r.costUsd;
      if (!peers.includes(r.keys.deployment ?? '')) continue;
      const day = r.keys.day ?? '';
      byDay.set(day, (byDay.get(day) ?? 0) + r.costUsd);
    }
    const onDemand = [...byDay.values()].reduce((a, b) => a + b, 0);
    const breakEvenDaily = p.monthly_usd / MONTH_DAYS;
    const projected = (onDemand / days) * MONTH_DAYS;
    const over = projected - p.monthly_usd;
    return {
      deployment: d.id,
      model: d.model,
      monthlyUsd: p.monthly_usd,
      peers,
      days,
      onDemandUsd: Math.round(onDemand * 1e6) / 1e6,
      projectedMonthlyUsd: Math.round(projected * 100) / 100,
      breakEvenDailyUsd: Math.round(breakEvenDaily * 100) / 100,
      daysOverBreakEven: [...byDay.entries()].filter(([, v]) => v > breakEvenDaily).map(([k]) => k).sort(),
      overBreakEvenUsd: Math.round(over * 100) / 100,
      servedOnProvisionedUsd: Math.round(served * 1e6) / 1e6,
      verdict: over > 0 ? 'above-break-even' : 'below-break-even',
    };
  });
}

/** Plain-text advice, one paragraph per provisioned deployment. */
export function formatAdvice(advice: readonly Advice[]): string {
  if (advice.length === 0) return 'No provisioned deployments configured: add `provisioned: { monthly_usd, capacity_rpm }` to a deployment to compare it with on-demand spend.';
  return advice
    .map((a) => {
      const pct = a.monthlyUsd > 0 ? ` (${((a.overBreakEvenUsd / a.monthlyUsd) * 100).toFixed(0)}%)` : '';
      const head = `${a.model} via ${a.deployment}: provisioned $${formatUsd(a.monthlyUsd)}/month, break-even $${formatUsd(a.breakEvenDailyUsd)}/day.`;
      const spend = `On-demand spend on ${a.peers.join(', ') || '(no on-demand peers)'}: $${formatUsd(a.onDemandUsd)} over ${a.days} days, projected $${formatUsd(a.projectedMonthlyUsd)}/month.`;
      const verdict =
        a.verdict === 'above-break-even'
          ? `Above break-even by $${formatUsd(a.overBreakEvenUsd)}/month${pct}: provisioned capacity is cheaper for this traffic.`
          : `Below break-even by $${formatUsd(-a.overBreakEvenUsd)}/month${pct.replace('-', '')}: on-demand is cheaper.`;
      const crossed = a.daysOverBreakEven.length > 0 ? `Days over break-even: ${a.daysOverBreakEven.join(', ')}.` : 'No day crossed the daily break-even.';
      return [head, spend, verdict, crossed, `Served on the provisioned deployment: $${formatUsd(a.servedOnProvisionedUsd)} at on-demand prices.`].join('\n  ');
    })
    .join('\n\n');
}
