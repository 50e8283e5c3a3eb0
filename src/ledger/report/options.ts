import { parseDimensions, parseTime, type Dimension } from '../store/query.js';

export const FORMATS = ['table', 'csv', 'json', 'html'] as const;
export type ReportFormat = (typeof FORMATS)[number];

/** A report request as the CLI and the HTTP route both take it. */
export interface ReportOptions {
  from: number;
  to: number;
  groupBy: Dimension[];
  format: ReportFormat;
}

const DAY = 86_400_000;

/**
 * Reads `from`/`to` (YYYY-MM-DD, `to` inclusive of its day, or ISO times), `group_by` and `format`.
 * Defaults: the last 30 days up to the end of today (UTC), grouped by provider and model.
 */
export function parseReportOptions(input: { from?: string; to?: string; groupBy?: string; format?: string }, now: number): ReportOptions {
  const to = input.to ? parseTime(input.to, true) : Math.floor(now / DAY) * DAY + DAY;
  const from = input.from ? parseTime(input.from) : to - 30 * DAY;
  if (from >= to) throw new Error(`"from" (${new Date(from).toISOString()}) must be before "to" (${new Date(to).toISOString()})`);
  const format = (input.format ?? 'table') as ReportFormat;
  if (!FORMATS.includes(format)) throw new Error(`unknown format "${input.format}"; expected ${FORMATS.join(', ')}`);
  return { from, to, groupBy: parseDimensions(input.groupBy ?? 'provider,model'), format };
}
