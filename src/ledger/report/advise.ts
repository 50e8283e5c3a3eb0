import { provisionedSchema, type ProvisionedConfig } from '../../routing/provisioned.js';
import type { GatewayConfig } from '../../config/schema.js';
import { makeUsage } from '../../core/types.js';
import { groupMembers } from '../../routing/config.js';
import { costOfUsage, roundUsd, type Price } from '../pricing/cost.js';
import { PriceBook } from '../pricing/price-book.js';
import type { UsageRow } from '../store/query.js';
import type { LedgerStore } from '../store/sql-store.js';
import { formatUsd } from './formats.js';

const DAY = 86_400_000;
/** Days in the month used to spread a monthly price (365.25 / 12). */
const MONTH_DAYS = 30.4375;

/** Break-even of one provisioned deployment against what its traffic would cost on demand. */
export interface Advice {
  deployment: string;
  model: string;
  monthlyUsd: number;
  /** On-demand deployments it competes with: same group or same model. */
  peers: string[];
  /** Days of the range with usage on it or its peers: the projection is from these. */
  daysWithData: number;
  /** Days in the asked range. */
  rangeDays: number;
  /** Spend on the on-demand peers (the spill-over). */
  onDemandUsd: number;
  /** Traffic the provisioned deployment served, priced at on-demand prices (see `servedPricedAs`). */
  servedOnProvisionedUsd: number;
  /**
   * The peer whose prices valued that traffic (the cheapest for it), or null when no peer has a
   * price and the ledger's own cost of its rows was taken.
   */
  servedPricedAs: string | null;
  /** Served traffic at on-demand prices plus the spill-over, spread to a month from the days with data. */
  projectedMonthlyUsd: number;
  breakEvenDailyUsd: number;
  /** Days whose on-demand-equivalent spend (served + spill-over) exceeded the daily break-even. */
  daysOverBreakEven: string[];
  /** Projected monthly on-demand-equivalent spend minus the provisioned price (positive: provisioned is cheaper). */
  overBreakEvenUsd: number;
  verdict: 'above-break-even' | 'below-break-even';
}

/** The `provisioned` block of a deployment, read defensively (absent or invalid: not provisioned). */
export function provisionedOf(deployment: object): ProvisionedConfig | undefined {
  const raw = (deployment as { provisioned?: unknown }).provisioned;
  if (raw === undefined) return undefined;
  const parsed = provisionedSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/**
 * A day's tokens at one price. Long-context rates are left out: they apply per request, and a day's
 * sum of prompts would cross their threshold when no request did.
 */
function costAt(price: Price, r: UsageRow): number {
  return costOfUsage({ ...price, longContext: undefined }, makeUsage({ prompt: r.promptTokens, completion: r.completionTokens, cachedRead: r.cachedReadTokens, cachedWrite: r.cachedWriteTokens, cachedWrite1h: r.cachedWrite1hTokens }));
}

/** The model a deployment serves: its `base_model` where its model id (a provisioned model's ARN) hides it. */
const modelOf = (d: { model: string; base_model?: string | undefined }): string => d.base_model ?? d.model;

/** Per provisioned deployment: what its traffic and its peers' would cost on demand against its monthly price. */
export async function advise(store: LedgerStore, config: GatewayConfig, from: number, to: number): Promise<Advice[]> {
  const provisioned = config.deployments.flatMap((d) => {
    const p = provisionedOf(d);
    return p ? [{ d, p }] : [];
  });
  if (provisioned.length === 0) return [];
  // A cache hit made no upstream call: it used no provisioned capacity and would cost nothing on demand.
  const rows = await store.summarize({ from, to, groupBy: ['deployment', 'day'], upstreamOnly: true });
  const prices = PriceBook.fromConfig(config.pricing, config.deployments);
  const rangeDays = Math.max(1, Math.round((to - from) / DAY));
  const isProvisioned = new Set(provisioned.map((x) => x.d.id));
  return provisioned.map(({ d, p }) => {
    const groups = config.groups.filter((g) => groupMembers(g).some((m) => m.id === d.id));
    const peerConfigs = config.deployments.filter((o) => !isProvisioned.has(o.id) && (modelOf(o) === modelOf(d) || groups.some((g) => groupMembers(g).some((m) => m.id === o.id))));
    const peers = peerConfigs.map((o) => o.id);
    const own = rows.filter((r) => r.keys.deployment === d.id);
    // Valued at the cheapest peer: the least the same tokens would have cost on demand.
    let pricedAs: { id: string; price: Price; usd: number } | undefined;
    for (const o of peerConfigs) {
      const price = prices.lookup({ deployment: o.id, provider: o.provider, model: o.model, region: o.region });
      if (!price) continue;
      const usd = own.reduce((sum, r) => sum + costAt(price, r), 0);
      if (!pricedAs || usd < pricedAs.usd) pricedAs = { id: o.id, price, usd };
    }
    const byDay = new Map<string, number>();
    const add = (day: string | null, usd: number) => byDay.set(day ?? '', (byDay.get(day ?? '') ?? 0) + usd);
    let served = 0;
    let onDemand = 0;
    for (const r of own) {
      const usd = pricedAs ? costAt(pricedAs.price, r) : r.costUsd;
      served += usd;
      add(r.keys.day ?? null, usd);
    }
    for (const r of rows) {
      if (!peers.includes(r.keys.deployment ?? '')) continue;
      onDemand += r.costUsd;
      add(r.keys.day ?? null, r.costUsd);
    }
    // Days with no usage at all are days the ledger has nothing for (before it was on, or a gap): they
    // would only dilute the projection.
    const daysWithData = byDay.size;
    const breakEvenDaily = p.monthly_usd / MONTH_DAYS;
    const projected = daysWithData === 0 ? 0 : ((served + onDemand) / daysWithData) * MONTH_DAYS;
    const over = projected - p.monthly_usd;
    return {
      deployment: d.id,
      model: d.model,
      monthlyUsd: p.monthly_usd,
      peers,
      daysWithData,
      rangeDays,
      onDemandUsd: roundUsd(onDemand),
      servedOnProvisionedUsd: roundUsd(served),
      servedPricedAs: pricedAs?.id ?? null,
      projectedMonthlyUsd: roundUsd(projected),
      breakEvenDailyUsd: roundUsd(breakEvenDaily),
      daysOverBreakEven: [...byDay.entries()].filter(([, v]) => v > breakEvenDaily).map(([k]) => k).sort(),
      overBreakEvenUsd: roundUsd(over),
      verdict: over > 0 ? 'above-break-even' : 'below-break-even',
    };
  });
}

/** A share in percent, to two significant digits below 10% so a small saving does not read 0%. */
function formatPercent(share: number): string {
  const pct = Math.abs(share * 100);
  if (pct === 0 || pct >= 10) return `${pct.toFixed(0)}%`;
  return `${Number(pct.toPrecision(2))}%`;
}

/** Plain-text advice, one paragraph per provisioned deployment. */
export function formatAdvice(advice: readonly Advice[]): string {
  if (advice.length === 0) return 'No provisioned deployments configured: add `provisioned: { monthly_usd, capacity_rpm }` to a deployment to compare it with on-demand spend.';
  return advice
    .map((a) => {
      const pct = a.monthlyUsd > 0 ? ` (${formatPercent(a.overBreakEvenUsd / a.monthlyUsd)})` : '';
      const head = `${a.model} via ${a.deployment}: provisioned $${formatUsd(a.monthlyUsd)}/month, break-even $${formatUsd(a.breakEvenDailyUsd)}/day.`;
      const pricedAs = a.servedPricedAs ? `at ${a.servedPricedAs}'s on-demand prices` : 'at its own catalog prices (no on-demand peer has a price)';
      const served = `Served on the provisioned deployment: $${formatUsd(a.servedOnProvisionedUsd)} ${pricedAs}.`;
      const spill = `On-demand spend on ${a.peers.join(', ') || '(no on-demand peers)'}: $${formatUsd(a.onDemandUsd)}.`;
      const days = a.daysWithData === a.rangeDays ? `${a.daysWithData} days` : `the ${a.daysWithData} days with data (of ${a.rangeDays} in the range)`;
      const projected = `Together $${formatUsd(a.servedOnProvisionedUsd + a.onDemandUsd)} over ${days}, projected $${formatUsd(a.projectedMonthlyUsd)}/month on demand.`;
      const verdict =
        a.verdict === 'above-break-even'
          ? `Above break-even by $${formatUsd(a.overBreakEvenUsd)}/month${pct}: provisioned capacity is cheaper for this traffic.`
          : `Below break-even by $${formatUsd(-a.overBreakEvenUsd)}/month${pct}: on-demand is cheaper.`;
      const crossed = a.daysOverBreakEven.length > 0 ? `Days over break-even: ${a.daysOverBreakEven.join(', ')}.` : 'No day crossed the daily break-even.';
      return [head, served, spill, projected, verdict, crossed].join('\n  ');
    })
    .join('\n\n');
}
