/** Budget periods, in UTC. */
export type Period = 'daily' | 'monthly';

/** Start of the period containing `ts` (epoch ms). */
export function periodStart(ts: number, period: Period): number {
  const d = new Date(ts);
  return period === 'daily' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** When the period containing `ts` ends and the budget resets. */
export function periodEnd(ts: number, period: Period): number {
  const d = new Date(ts);
  return period === 'daily' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1) : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}
