import { parseDimensions, parseTime, QueryTextError, type Dimension } from '../store/query.js';

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

/** Which report option was refused, and why in words that quote none of it (`QueryTextError.unquoted`). */
export class ReportOptionError extends Error {
  constructor(
    message: string,
    readonly option: 'from' | 'to' | 'groupBy' | 'format',
    readonly unquoted: string,
  ) {
    super(message);
  }
}

/** `parse(text)`, its refusal naming `option`. */
function read<T>(option: ReportOptionError['option'], parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof QueryTextError || err instanceof ReportOptionError)) throw err;
    throw new ReportOptionError(err.message, option, err.unquoted);
  }
}

/**
 * Reads `from`/`to` (YYYY-MM-DD, `to` inclusive of its day, or ISO times), `group_by` and `format`.
 * Defaults: the last 30 days up to the end of today (UTC), grouped by provider and model.
 */
export function parseReportOptions(input: { from?: string; to?: string; groupBy?: string; format?: string }, now: number): ReportOptions {
  const to = input.to ? read('to', () => parseTime(input.to as string, true)) : Math.floor(now / DAY) * DAY + DAY;
  const from = input.from ? read('from', () => parseTime(input.from as string)) : to - 30 * DAY;
  if (from >= to) {
    // Both times as parsed, never as typed.
    const message = `"from" (${new Date(from).toISOString()}) must be before "to" (${new Date(to).toISOString()})`;
    throw new ReportOptionError(message, 'from', message);
  }
  const format = (input.format ?? 'table') as ReportFormat;
  if (!FORMATS.includes(format)) throw new ReportOptionError(`unknown format "${input.format}"; expected ${FORMATS.join(', ')}`, 'format', `expected ${FORMATS.join(', ')}`);
  return { from, to, groupBy: read('groupBy', () => parseDimensions(input.groupBy ?? 'provider,model')), format };
}
