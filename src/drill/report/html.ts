import type { DrillResult } from '../run.js';
import { formatSummary } from './terminal.js';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const PALETTE = ['#4e79a7', '#59a14f', '#f28e2b', '#76b7b2', '#edc948', '#b07aa1', '#9c755f', '#bab0ac'];
const BREAKER = { closed: '#d5dbe0', cooling: '#9ecae9', 'half-open': '#edc948', open: '#e15759' } as const;
const W = 900;
const CHART_H = 220;
const LEFT = 120;

/**
 * The drill's time line as one self-contained page: requests per second by serving deployment
 * (stacked), errors, p95 latency, breaker state per faulty deployment, with the fault windows shaded.
 */
export function formatDrillHtml(result: DrillResult, breaches: readonly string[]): string {
  const { timeline, plan } = result;
  const seconds = Math.max(1, timeline.length);
  const slot = (W - LEFT - 10) / seconds;
  const x = (ms: number): number => LEFT + (ms / 1000) * slot;
  const deployments = [...new Set(timeline.flatMap((b) => Object.keys(b.served)))].sort();
  const color = (d: string): string => PALETTE[deployments.indexOf(d) % PALETTE.length] as string;
  const maxRps = Math.max(1, ...timeline.map((b) => Object.values(b.served).reduce((a, n) => a + n, 0) + b.errors));
  const maxP95 = Math.max(1, ...timeline.map((b) => b.p95Ms ?? 0));
  const y = (n: number): number => CHART_H - (n / maxRps) * (CHART_H - 20);
  const parts: string[] = [];
  for (const b of timeline) {
    let base = 0;
    const bx = LEFT + b.second * slot + 1;
    for (const d of deployments) {
      const n = b.served[d] ?? 0;
      if (n === 0) continue;
      parts.push(`<rect class="rps-bar" x="${bx}" y="${y(base + n)}" width="${slot - 2}" height="${y(base) - y(base + n)}" fill="${color(d)}"><title>${b.second}s ${esc(d)}: ${n}</title></rect>`);
      base += n;
    }
    if (b.errors > 0) parts.push(`<rect class="error-bar" x="${bx}" y="${y(base + b.errors)}" width="${slot - 2}" height="${y(base) - y(base + b.errors)}" fill="#000"><title>${b.second}s errors: ${b.errors}</title></rect>`);
  }
  // Drawn over the bars, translucent, so the window shows whatever serves under it.
  for (const w of plan.windows) parts.push(`<rect class="fault-window" x="${x(w.fromMs)}" y="0" width="${x(w.toMs) - x(w.fromMs)}" height="${CHART_H}" fill="#e15759" fill-opacity="0.18" stroke="#e15759" stroke-dasharray="3 3"><title>fault ${esc(JSON.stringify(w.effect))}</title></rect>`);
  const points = timeline.filter((b) => b.p95Ms !== undefined).map((b) => `${LEFT + (b.second + 0.5) * slot},${CHART_H - ((b.p95Ms as number) / maxP95) * (CHART_H - 20)}`);
  parts.push(`<polyline id="p95-line" points="${points.join(' ')}" fill="none" stroke="#333" stroke-width="2" stroke-dasharray="4 2"/>`);
  parts.push(`<text x="4" y="14" font-size="11">${maxRps} req/s</text><text x="${W - 120}" y="14" font-size="11">p95 max ${Math.round(maxP95)} ms</text>`);
  const targets = plan.targets.map((t) => t.deployment);
  targets.forEach((t, row) => {
    const ty = CHART_H + 10 + row * 18;
    parts.push(`<text x="4" y="${ty + 11}" font-size="10">${esc(t.length > 18 ? `${t.slice(0, 17)}…` : t)}</text>`);
    for (const b of timeline) {
      const state = (b.breakers[t] ?? 'closed') as keyof typeof BREAKER;
      parts.push(`<rect class="breaker-cell" data-state="${state}" x="${LEFT + b.second * slot}" y="${ty}" width="${slot}" height="14" fill="${BREAKER[state] ?? '#999'}"><title>${esc(t)} breaker ${state} at ${b.second}s</title></rect>`);
    }
  });
  const height = CHART_H + 20 + targets.length * 18;
  const legend = [
    ...deployments.map((d) => `<span><i style="background:${color(d)}"></i>${esc(d)}</span>`),
    ...Object.entries(BREAKER).map(([state, c]) => `<span><i style="background:${c}"></i>breaker ${state}</span>`),
  ].join(' ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchyard drill: ${esc(plan.scenario)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}i{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}pre{background:#f6f6f6;padding:1em}.broken{color:#b00}</style></head>
<body><h1>Drill "${esc(plan.scenario)}" on group "${esc(plan.group)}"</h1>
<p>${plan.requests} requests at ${plan.ratePerS}/s; shaded: fault window; bars: requests per second by serving deployment (black: errors); dashed: p95 latency; strip: breaker state of each faulty deployment.</p>
<p>${legend}</p>
<svg id="drill-timeline" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}">${parts.join('')}</svg>
${breaches.length > 0 ? `<p class="broken">SLOs broken: ${esc(breaches.join('; '))}</p>` : ''}
<pre>${esc(formatSummary(result, breaches))}</pre>
</body></html>
`;
}
