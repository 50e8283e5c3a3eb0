import type { LedgerStore } from '../store/sql-store.js';
import type { Dimension, UsageFilter } from '../store/query.js';
import { totalOf, type Report } from './formats.js';

/** Runs a grouped usage query and wraps it as a report. */
export async function buildReport(store: LedgerStore, q: { from: number; to: number; groupBy: Dimension[]; filter?: UsageFilter }): Promise<Report> {
  const rows = await store.summarize(q);
  return { from: new Date(q.from).toISOString(), to: new Date(q.to).toISOString(), groupBy: [...q.groupBy], rows, total: totalOf(rows) };
}
