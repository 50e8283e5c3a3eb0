import type { UsageRow } from '../store/query.js';
import { layoutTable } from './table-layout.js';

/** A usage report: the query it answers, its rows, and the total of the whole range (its own ungrouped query, not the rows summed). */
export interface Report {
  from: string;
  to: string;
  groupBy: string[];
  rows: UsageRow[];
  total: UsageRow;
}

const METRICS = [
  ['requests', (r: UsageRow) => r.requests],
  ['attempts', (r: UsageRow) => r.attempts],
  ['prompt_tokens', (r: UsageRow) => r.promptTokens],
  ['completion_tokens', (r: UsageRow) => r.completionTokens],
  ['cached_read_tokens', (r: UsageRow) => r.cachedReadTokens],
  ['cached_write_tokens', (r: UsageRow) => r.cachedWriteTokens],
  ['cached_write_1h_tokens', (r: UsageRow) => r.cachedWrite1hTokens],
  ['reasoning_tokens', (r: UsageRow) => r.reasoningTokens],
  ['cost_usd', (r: UsageRow) => r.costUsd],
  ['cache_hits', (r: UsageRow) => r.cacheHits],
  ['saved_usd', (r: UsageRow) => r.savedUsd],
  ['unpriced_attempts', (r: UsageRow) => r.unpricedAttempts],
  ['estimated_attempts', (r: UsageRow) => r.estimatedAttempts],
  ['errors', (r: UsageRow) => r.errors],
] as const;

/** A row of no usage: the total of a range without events. */
export function emptyRow(): UsageRow {
  return { keys: {}, requests: 0, attempts: 0, promptTokens: 0, completionTokens: 0, cachedReadTokens: 0, cachedWriteTokens: 0, cachedWrite1hTokens: 0, reasoningTokens: 0, totalTokens: 0, costUsd: 0, cacheHits: 0, savedUsd: 0, unpricedAttempts: 0, estimatedAttempts: 0, errors: 0 };
}

/**
 * `n` (not negative) to `places` decimals, rounded half up on its shortest decimal form: 1.005 is
 * 1.01, where toFixed rounds the binary value next to it (1.00499...) down.
 */
function decimalFixed(n: number, places: number): string {
  const [mantissa = '0', exponent = '0'] = n.toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const shift = Number(exponent) - (digits.length - 1) + places;
  let scaled = BigInt(digits);
  if (shift >= 0) scaled *= 10n ** BigInt(shift);
  else {
    const unit = 10n ** BigInt(-shift);
    scaled = scaled / unit + (2n * (scaled % unit) >= unit ? 1n : 0n);
  }
  const text = scaled.toString().padStart(places + 1, '0');
  return `${text.slice(0, -places)}.${text.slice(-places)}`;
}

/**
 * Dollars for people (table, HTML, `--advise`): to the cent from $1 up; below, four significant digits,
 * at least to the cent ($0.0313, $0.0001235, $0.50), as a request costs fractions of a cent.
 */
export function formatUsd(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs === 0) return '0.00';
  const magnitude = Number(abs.toExponential().split('e')[1]);
  // Trailing zeros beyond the cent go: four significant digits of 0.5 or of 0.99996 are 0.50 and 1.00.
  const text = decimalFixed(abs, abs >= 1 ? 2 : Math.max(2, 3 - magnitude)).replace(/(\.\d\d\d*?)0+$/, '$1');
  return n < 0 ? `-${text}` : text;
}

/** Dollars for spreadsheets (CSV): exact to the ledger's ten-billionth of a dollar, in plain decimals (never 1.5e-7). */
function csvUsd(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const text = decimalFixed(Math.abs(n), 10).replace(/\.?0+$/, '');
  return n < 0 && text !== '0' ? `-${text}` : text;
}

/** A column; undefined shows as `-` (a measure that does not apply to the row). */
type Metric = readonly [string, (r: UsageRow) => number | undefined];

/**
 * The tables' name for `errors`, which counts failed attempts (a request retried or fallen back to success
 * has some): beside `requests` the bare word read as failed requests; after `attempts`, `failed` reads as
 * what it is, in few columns. CSV and JSON keep the field's name.
 */
const FAILED_ATTEMPTS = 'failed';

/** `--wide`: every metric, and the lowest quota headroom its attempts saw (`-` without a quota). */
const WIDE: readonly Metric[] = [...METRICS.map(([name, get]): Metric => [name === 'errors' ? FAILED_ATTEMPTS : name, get]), ['min_quota_headroom', (r) => r.minQuotaHeadroom]];

/**
 * The table's default columns: about 80 terminal columns of figures, which a narrow terminal shows under
 * each row's keys. `requests` counts client requests; `attempts`, `unpriced` and `failed` count upstream attempts.
 */
const COMPACT: readonly Metric[] = [
  ['requests', (r) => r.requests],
  ['attempts', (r) => r.attempts],
  ['prompt', (r) => r.promptTokens],
  ['completion', (r) => r.completionTokens],
  ['cached', (r) => r.cachedReadTokens + r.cachedWriteTokens],
  ['cost_usd', (r) => r.costUsd],
  ['unpriced', (r) => r.unpricedAttempts],
  [FAILED_ATTEMPTS, (r) => r.errors],
];

function cells(report: Report, r: UsageRow, money: (n: number, name: string) => string, metrics: readonly Metric[] = METRICS): string[] {
  const cell = (name: string, v: number | undefined): string => (v === undefined ? '-' : name === 'cost_usd' || name === 'saved_usd' ? money(v, name) : name === 'min_quota_headroom' ? v.toFixed(2) : String(v));
  return [...report.groupBy.map((g) => r.keys[g] ?? ''), ...metrics.map(([name, get]) => cell(name, get(r)))];
}

const header = (report: Report, metrics: readonly Metric[] = METRICS): string[] => [...report.groupBy, ...metrics.map(([n]) => n)];

/** A cost for people: "unpriced" when nothing of it had a price, rather than a misleading 0.00. */
export function costCell(r: UsageRow, prefix = ''): string {
  return r.costUsd === 0 && r.unpricedAttempts > 0 ? 'unpriced' : `${prefix}${formatUsd(r.costUsd)}`;
}

/**
 * What a terminal acts on rather than shows: C0 and C1 controls, DEL (escape sequences recolour, hide,
 * move the cursor, set the clipboard; a line feed forges a row), and the bidi controls and line
 * separators that reorder or break a line.
 */
// eslint-disable-next-line no-control-regex -- control characters are what it escapes
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;
const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A key's, team's, user's or tag's value as the table shows it: each control character written as an escape (`\x1b`, `\n`, `\u202e`). */
function printable(text: string): string {
  return text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return NAMED[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
  });
}

/**
 * The dimensions whose values are free text named by whoever mints keys, which the table may clip on a
 * narrow terminal (never to a text another row shows); every other key identifies a model, deployment,
 * provider, region, key or day and is shown whole.
 */
const freeText = (dimension: string): boolean => dimension === 'team' || dimension === 'user' || dimension.startsWith('tag:');

/**
 * Aligned plain-text table with a TOTAL line; rows' requests adding up past TOTAL's, and unpriced usage,
 * are explained under it. By default the compact columns; `wide` shows every metric. Without a `width`
 * (output to a pipe or a file, and `wide`) nothing is clipped or wrapped; with one (a terminal's) the
 * table fits it as `layoutTable` lays it out.
 */
export function formatTable(report: Report, options: { wide?: boolean; width?: number } = {}): string {
  const metrics = options.wide ? WIDE : COMPACT;
  // Saved money is never "unpriced": only the cost column says so. Group values are named by whoever
  // mints keys: escaped before widths are measured, so the columns still align.
  const rows = report.rows.map((r) => cells(report, r, (n, name) => (name === 'cost_usd' ? costCell(r) : formatUsd(n)), metrics).map(printable));
  const total = cells(report, report.total, (n, name) => (name === 'cost_usd' ? costCell(report.total) : formatUsd(n)), metrics).map(printable);
  if (report.groupBy.length > 0) total[0] = 'TOTAL';
  const table = { head: header(report, metrics), rows, total, keys: report.groupBy.length, clippable: report.groupBy.map(freeText) };
  const out = [`Usage ${report.from} .. ${report.to}`, ...layoutTable(table, options.wide ? undefined : options.width)];
  out.push(...requestsNote(report));
  if (report.total.unpricedAttempts > 0) out.push(`note: ${report.total.unpricedAttempts} attempts used models without a known price; their cost is not included.`);
  return out.join('\n');
}

/**
 * Why the rows' requests can add up to more than TOTAL's: each row counts the distinct requests among its
 * attempts, and TOTAL (its own ungrouped query, `buildReport`) counts each request once. Two lines, so
 * the note fits the table's 120 columns.
 */
function requestsNote(report: Report): string[] {
  const summed = report.rows.reduce((sum, r) => sum + r.requests, 0);
  if (report.groupBy.length === 0 || summed <= report.total.requests) return [];
  return [
    `note: the rows' requests add up to ${summed}, TOTAL counts ${report.total.requests}: a request whose attempts fall into several rows`,
    '      (retries, fallbacks, shadow copies) counts once in each; attempts, tokens and cost add up to TOTAL.',
  ];
}

function csvCell(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * What a spreadsheet opening a CSV may take for a formula (or a DDE call): a cell starting with OWASP's
 * `= + - @`, tab or CR, or ASVS's NUL; also LF (a line break, like CR); also one of `= + - @` after
 * leading whitespace or controls, as an importer that trims spaces (LibreOffice's "Trim spaces") sees
 * it; and their full-width forms (`＝＋－＠`), for an importer that folds them to ASCII. Whether any
 * importer acts on the last three is untested here: the guard's cost, one `'` before a name nobody means
 * to start so, is smaller than finding out. `--format json` keeps every value exact.
 */
// eslint-disable-next-line no-control-regex -- a leading control character is part of what it finds
const FORMULA_START = /^(?:[\t\r\n\u0000]|[\s\u0000-\u001f]*[=+\-@\uff1d\uff0b\uff0d\uff20])/;

/**
 * A group's value as a CSV cell spreadsheets read as text: keys, teams, users and tags are named by
 * whoever mints keys, so `=HYPERLINK(...)` would run when finance opens the file. Such a value gets a
 * leading `'` (OWASP's advice); numbers are ours and never need it.
 */
const textCell = (v: string): string => (FORMULA_START.test(v) ? `'${v}` : v);

/**
 * RFC 4180 CSV, one row per group, then a TOTAL row (as the table's; without groups the one row is the
 * total); amounts exact (`csvUsd`); group values that a spreadsheet would run as a formula start with `'`.
 */
export function formatCsv(report: Report): string {
  const keys = report.groupBy.length;
  const body = report.rows.map((r) => cells(report, r, csvUsd).map((c, i) => (i < keys ? textCell(c) : c)));
  const rows = [header(report), ...body];
  if (keys > 0) rows.push(['TOTAL', ...cells(report, report.total, csvUsd).slice(1)]);
  return rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** JSON: the query, the rows (keys plus metrics) and the total. */
export function toJson(report: Report): Record<string, unknown> {
  return { object: 'switchyard.usage', from: report.from, to: report.to, group_by: report.groupBy, data: report.rows, total: report.total };
}
