import type { BudgetConfig } from '../config.js';
import type { LedgerStore } from '../store/sql-store.js';
import type { BaseDimension, Dimension, UsageFilter } from '../store/query.js';

/** Tags that are ledger columns (filterable); any other tag is read from the JSON tags. */
const TAG_COLUMNS: Record<string, BaseDimension> = { key: 'key', team: 'team', user: 'user' };

/**
 * The ledger's spend in [from, to) of one budget counter: requests matching the budget's `match` and,
 * for a `per` budget, carrying `value` in that tag. Used to seed a counter, so a restart (or a fresh
 * shared store) does not hand out a fresh budget.
 */
export async function ledgerSpend(store: LedgerStore, budget: BudgetConfig, value: string, from: number, to: number): Promise<number> {
  const wanted: Record<string, string> = { ...budget.match };
  if (budget.per !== undefined) wanted[budget.per] = value;
  const filter: UsageFilter = {};
  const grouped: Array<[tag: string, value: string]> = [];
  for (const [tag, v] of Object.entries(wanted)) {
    const column = TAG_COLUMNS[tag];
    if (column) filter[column] = v;
    else grouped.push([tag, v]);
  }
  const groupBy: Dimension[] = grouped.map(([t]): Dimension => `tag:${t}`);
  // A request waits for its counter's first seeding: read apart from usage reports.
  const rows = await store.summarize({ from, to, groupBy, filter, lane: 'request' });
  let usd = 0;
  for (const row of rows) if (grouped.every(([t, v]) => row.keys[`tag:${t}`] === v)) usd += row.costUsd;
  return usd;
}
