/**
 * How the report table is laid out on a terminal of a given width: identifying group keys (models,
 * deployments, providers, regions, key ids...) are never clipped; free text that whoever mints keys
 * names (team, user, tags) is clipped only as far as its values stay told apart; when the row still does
 * not fit, each row takes two lines, its keys then its figures.
 */

/** The table as text, each cell escaped already; the first `keys` columns are the group keys. */
export interface TableText {
  head: readonly string[];
  rows: ReadonlyArray<readonly string[]>;
  total: readonly string[];
  keys: number;
  /** Per key column: whether it holds free text, which may be clipped (never to a value another row shows). */
  clippable: readonly boolean[];
}

const GAP = 2;
/** Free text is not clipped below this: a clipped value must still say what it is. */
const MIN_KEY_WIDTH = 12;
/** A row's figures under its keys, set in from them so each row's keys stand out on the left. */
const FIGURES_INDENT = '    ';

/** `text` cut to `width` characters, `~` marking the cut. */
export const clip = (text: string, width: number): string => (text.length <= width ? text : `${text.slice(0, width - 1)}~`);

/** Whether clipping `values` to `width` shows every distinct value as a text of its own (no clipped text equal to another value). */
function distinctAt(values: ReadonlySet<string>, width: number): boolean {
  const shown = new Set<string>();
  for (const v of values) {
    const c = clip(v, width);
    if (shown.has(c)) return false;
    shown.add(c);
  }
  return true;
}

/**
 * The narrowest a free-text column may be clipped to: its head whole, at least `MIN_KEY_WIDTH`, and
 * wide enough that no two values show the same text. Telling values apart only gets easier with width
 * (two clipped texts alike at w+1 are alike at w), so the narrowest such width is searched by halves.
 */
function clipFloor(column: number, table: TableText, natural: number): number {
  const values = new Set(table.rows.map((r) => r[column] ?? ''));
  let low = Math.min(natural, Math.max(MIN_KEY_WIDTH, (table.head[column] ?? '').length));
  let high = natural;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (distinctAt(values, mid)) high = mid;
    else low = mid + 1;
  }
  return low;
}

const lineWidth = (widths: readonly number[]): number => widths.reduce((s, w) => s + w, 0) + GAP * Math.max(0, widths.length - 1);

/** Narrows the widest columns above their floors, each down to the next widest at most so long texts share the cut, until `widths` fit `width`. */
function narrow(widths: readonly number[], floors: readonly number[], width: number): number[] {
  const out = [...widths];
  let over = lineWidth(out) - width;
  while (over > 0) {
    const open = out.map((w, i) => (w > (floors[i] ?? w) ? i : -1)).filter((i) => i >= 0);
    if (open.length === 0) break;
    const widest = open.reduce((a, b) => ((out[b] ?? 0) > (out[a] ?? 0) ? b : a));
    const w = out[widest] ?? 0;
    const next = Math.max(floors[widest] ?? w, ...open.filter((i) => i !== widest).map((i) => out[i] ?? 0));
    const cut = Math.max(1, Math.min(over, w - next));
    out[widest] = w - cut;
    over -= cut;
  }
  return out;
}

/** One row's cells, clipped to `widths`, key columns padded left-aligned and figures right-aligned. */
function line(row: readonly string[], widths: readonly number[], firstFigure: number): string {
  return row
    .map((c, i) => {
      const w = widths[i] ?? c.length;
      const text = clip(c, w);
      return i >= firstFigure ? text.padStart(w) : text.padEnd(w);
    })
    .join(' '.repeat(GAP))
    .trimEnd();
}

const rule = (widths: readonly number[]): string => widths.map((w) => '-'.repeat(w)).join(' '.repeat(GAP));

/**
 * The head, rules, rows and total line of `table`. Without a `width` (a pipe, a file, `--wide`) every
 * column is as wide as its widest cell. With one: free text clipped as far as `clipFloor` allows,
 * then, if a row still does not fit, two lines a row.
 */
export function layoutTable(table: TableText, width?: number): string[] {
  const all = [table.head, ...table.rows, table.total];
  const natural = table.head.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  const single = (widths: readonly number[]): string[] => {
    const at = (row: readonly string[]): string => line(row, widths, table.keys);
    return [at(table.head), rule(widths), ...table.rows.map(at), rule(widths), at(table.total)];
  };
  if (width === undefined) return single(natural);
  const floors = natural.map((w, i) => (i < table.keys && table.clippable[i] === true ? clipFloor(i, table, w) : w));
  const fitted = narrow(natural, floors, width);
  if (lineWidth(fitted) <= width || table.keys === 0) return single(fitted);
  const keyWidths = narrow(natural.slice(0, table.keys), floors.slice(0, table.keys), width);
  const figureWidths = natural.slice(table.keys);
  const two = (row: readonly string[]): string[] => [line(row.slice(0, table.keys), keyWidths, table.keys), FIGURES_INDENT + line(row.slice(table.keys), figureWidths, 0)];
  const ruleLine = '-'.repeat(Math.min(width, Math.max(lineWidth(keyWidths), FIGURES_INDENT.length + lineWidth(figureWidths))));
  return [...two(table.head), ruleLine, ...table.rows.flatMap(two), ruleLine, ...two(table.total)];
}
