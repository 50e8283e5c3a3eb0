import type { LedgerStore } from '../store/sql-store.js';
import type { Dimension, UsageFilter, UsageRow } from '../store/query.js';
import { emptyRow, type Report } from './formats.js';

/**
 * Runs a grouped usage query and wraps it as a report. The total is its own ungrouped query, not the
 * sum of the rows: a request that fell back across deployments (or days) is a row in each, and counts once.
 */
export async function buildReport(store: LedgerStore, q: { from: number; to: number; groupBy: Dimension[]; filter?: UsageFilter; limit?: number }): Promise<Report> {
  const [rows, whole] = await Promise.all([store.summarize(q), q.groupBy.length > 0 ? store.summarize({ ...q, groupBy: [] }) : undefined]);
  const total = (whole ?? rows)[0] ?? emptyRow();
  return { from: new Date(q.from).toISOString(), to: new Date(q.to).toISOString(), groupBy: [...q.groupBy], rows: inTimeOrder(rows, q.groupBy), total };
}

/**
 * Hours read as a timeline, earliest first; within an hour the store's order (dearest first) stays.
 * An hour key (`2026-12-06T02:00Z`) sorts in time order as text.
 */
function inTimeOrder(rows: UsageRow[], groupBy: readonly Dimension[]): UsageRow[] {
  if (!groupBy.includes('hour')) return rows;
  const hour = (r: UsageRow): string => r.keys.hour ?? '';
  return [...rows].sort((a, b) => (hour(a) < hour(b) ? -1 : hour(a) > hour(b) ? 1 : 0));
}
