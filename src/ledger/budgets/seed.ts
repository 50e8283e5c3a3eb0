import type { BudgetsConfig } from '../config.js';
import type { LedgerStore } from '../store/sql-store.js';
import type { Dimension } from '../store/query.js';
import { periodEnd, periodStart } from './period.js';
import type { BudgetGuard } from './guard.js';
import type { BudgetState } from './state.js';

const TAG_COLUMNS: Record<string, Dimension> = { key: 'key', team: 'team', user: 'user' };
const dimensionOf = (tag: string): Dimension => TAG_COLUMNS[tag] ?? `tag:${tag}`;

/**
 * Loads this period's spend of every budget from the ledger, so a restart does not hand out a fresh
 * budget. Counters the state already knows (a shared store) are left alone.
 */
export async function seedBudgets(config: BudgetsConfig, guard: BudgetGuard, state: BudgetState, store: LedgerStore, now: number): Promise<void> {
  for (const b of config.limits) {
    const tags = [...new Set([...(b.per ? [b.per] : []), ...Object.keys(b.match)])];
    const rows = await store.summarize({ from: periodStart(now, b.period), to: periodEnd(now, b.period), groupBy: tags.map(dimensionOf) });
    const spent = new Map<string, { tags: Record<string, string>; usd: number }>();
    for (const row of rows) {
      const rowTags: Record<string, string> = {};
      tags.forEach((t) => {
        const v = row.keys[dimensionOf(t)];
        if (v !== null && v !== undefined) rowTags[t] = v;
      });
      const ref = guard.countersFor(rowTags, now).find((r) => r.counter.startsWith(`${b.name}|`));
      if (!ref) continue;
      const cur = spent.get(ref.counter) ?? { tags: rowTags, usd: 0 };
      cur.usd += row.costUsd;
      spent.set(ref.counter, cur);
    }
    for (const [counter, { tags: t, usd }] of spent) {
      const ref = guard.countersFor(t, now).find((r) => r.counter === counter);
      if (ref) await state.seed(ref, usd);
    }
  }
}
