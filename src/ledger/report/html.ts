import type { LedgerStore } from '../store/sql-store.js';
import type { UsageRow } from '../store/query.js';
import { costCell, formatUsd, type Report } from './formats.js';
import { utcDay } from '../event.js';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** The data an HTML report needs beyond the grouped rows. */
export interface HtmlData {
  report: Report;
  /** Rows grouped by day and provider, for the chart. */
  daily: UsageRow[];
  topKeys: UsageRow[];
  topTeams: UsageRow[];
}

/** Queries what the HTML page shows. */
export async function htmlData(store: LedgerStore, report: Report, from: number, to: number, top = 10): Promise<HtmlData> {
  const [daily, keys, teams] = await Promise.all([
    store.summarize({ from, to, groupBy: ['day', 'provider'] }),
    store.summarize({ from, to, groupBy: ['key'] }),
    store.summarize({ from, to, groupBy: ['team'] }),
  ]);
  return { report, daily, topKeys: keys.slice(0, top), topTeams: teams.slice(0, top) };
}

function days(from: string, to: string, daily: UsageRow[]): string[] {
  const start = Date.parse(from);
  const end = Date.parse(to);
  const out: string[] = [];
  // Every UTC day the range touches, from the midnight of its first (a `--from` at noon still shows its
  // last, partial day), so gaps show as empty bars; ranges beyond a year fall back to days with data.
  if (end - start <= 366 * 86_400_000) for (let t = start - (start % 86_400_000); t < end; t += 86_400_000) out.push(utcDay(t));
  else for (const r of daily) if (r.keys.day && !out.includes(r.keys.day)) out.push(r.keys.day);
  return out.sort();
}

/**
 * Round values for a y axis from 0 past `max`: about four steps of 1, 2, 2.5 or 5 times a power of ten,
 * so labels read $0, $0.25, $0.50... rather than $0, $0.9375, $1.875.
 */
export function axisTicks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const rough = max / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * power >= rough) ?? 10) * power;
  const count = Math.ceil(max / step - 1e-9);
  // Rounding to the step's decimals keeps 0.1 + 0.2 from labelling an axis 0.30000000000000004.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Array.from({ length: count + 1 }, (_, i) => Number((i * step).toFixed(decimals)));
}

/** A stacked bar chart of daily cost per provider, as inline SVG. */
export function dailyChartSvg(report: Pick<Report, 'from' | 'to'>, daily: UsageRow[]): string {
  const dayList = days(report.from, report.to, daily);
  const providers = [...new Set(daily.map((r) => r.keys.provider ?? 'unknown'))].sort();
  const cost = new Map<string, number>();
  for (const r of daily) cost.set(`${r.keys.day}|${r.keys.provider ?? 'unknown'}`, r.costUsd);
  const totals = dayList.map((d) => providers.reduce((s, p) => s + (cost.get(`${d}|${p}`) ?? 0), 0));
  const ticks = axisTicks(Math.max(0, ...totals));
  const max = ticks[ticks.length - 1] ?? 1;
  const W = 760;
  const H = 280;
  const left = 64;
  const bottom = 40;
  const top = 16;
  const plotW = W - left - 16;
  const plotH = H - top - bottom;
  const slot = plotW / Math.max(1, dayList.length);
  const barW = Math.max(1, slot * 0.7);
  const y = (v: number): number => top + plotH - (v / max) * plotH;
  const parts: string[] = [];
  for (const v of ticks) {
    parts.push(`<line x1="${left}" x2="${W - 16}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="11">$${esc(formatUsd(v))}</text>`);
  }
  const labelEvery = Math.ceil(dayList.length / 12);
  dayList.forEach((d, i) => {
    const x = left + i * slot + (slot - barW) / 2;
    let acc = 0;
    providers.forEach((p, pi) => {
      const v = cost.get(`${d}|${p}`) ?? 0;
      if (v <= 0) return;
      const y0 = y(acc);
      acc += v;
      const y1 = y(acc);
      parts.push(`<rect class="bar" data-day="${esc(d)}" data-provider="${esc(p)}" x="${x.toFixed(1)}" y="${y1.toFixed(1)}" width="${barW.toFixed(1)}" height="${Math.max(0.5, y0 - y1).toFixed(1)}" fill="${PALETTE[pi % PALETTE.length]}"><title>${esc(d)} ${esc(p)}: $${esc(formatUsd(v))}</title></rect>`);
    });
    if (i % labelEvery === 0) parts.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${H - bottom + 16}" text-anchor="middle" font-size="11">${esc(d.slice(5))}</text>`);
  });
  const legend = providers
    .map((p, pi) => `<g transform="translate(${left + pi * 130},${H - 10})"><rect width="10" height="10" y="-9" fill="${PALETTE[pi % PALETTE.length]}"/><text x="14" font-size="11">${esc(p)}</text></g>`)
    .join('');
  return `<svg id="daily-cost-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="Daily cost per provider"><line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#999"/>${parts.join('')}${legend}</svg>`;
}

function table(title: string, id: string, head: string[], rows: string[][]): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.length === 0 ? `<tr><td colspan="${head.length}">no usage</td></tr>` : rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('');
  return `<section><h2>${esc(title)}</h2><table id="${id}"><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table></section>`;
}

const spenderRows = (rows: UsageRow[], dim: string): string[][] => rows.map((r) => [r.keys[dim] ?? '(none)', String(r.requests), String(r.promptTokens + r.completionTokens), costCell(r, '$')]);

/** A self-contained HTML page: totals, the daily cost chart per provider, top spenders, the grouped rows. */
export function formatHtml(data: HtmlData): string {
  const { report } = data;
  const t = report.total;
  const groupRows = report.rows.map((r) => [...report.groupBy.map((g) => r.keys[g] ?? ''), String(r.requests), String(r.promptTokens), String(r.completionTokens), String(r.cachedReadTokens + r.cachedWriteTokens), costCell(r, '$'), String(r.unpricedAttempts)]);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchyard usage ${esc(report.from.slice(0, 10))} to ${esc(report.to.slice(0, 10))}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border-bottom:1px solid #ddd;padding:.25rem .6rem;text-align:right}th:first-child,td:first-child{text-align:left}.cards{display:flex;gap:1rem}.card{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem}.warn{color:#a15c00}</style>
</head><body>
<h1>Switchyard usage report</h1>
<p>${esc(report.from)} to ${esc(report.to)} (UTC)</p>
<div class="cards"><div class="card" id="total-cost">Total cost <strong>$${esc(formatUsd(t.costUsd))}</strong></div><div class="card">Requests <strong>${t.requests}</strong></div><div class="card">Tokens <strong>${t.promptTokens + t.completionTokens}</strong></div></div>
${t.unpricedAttempts > 0 ? `<p class="warn" id="unpriced">${t.unpricedAttempts} attempts used models without a known price; their cost is not included.</p>` : ''}
<section><h2>Daily cost per provider</h2>${dailyChartSvg(report, data.daily)}</section>
${table('Top spenders by API key', 'top-keys', ['key', 'requests', 'tokens', 'cost'], spenderRows(data.topKeys, 'key'))}
${table('Top spenders by team', 'top-teams', ['team', 'requests', 'tokens', 'cost'], spenderRows(data.topTeams, 'team'))}
${table(`Usage by ${report.groupBy.join(', ') || 'total'}`, 'usage', [...report.groupBy, 'requests', 'prompt', 'completion', 'cached', 'cost', 'unpriced'], groupRows)}
</body></html>
`;
}
