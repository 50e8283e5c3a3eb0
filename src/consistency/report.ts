import type { PromptComparison } from './compare.js';
import type { Observation } from './run.js';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const usd = (v: number | undefined): string => (v === undefined ? 'unpriced' : `$${v.toFixed(6)}`);

const COLUMNS = ['prompt', 'deployment', 'finish', 'json', 'tool call', 'chars', 'in tok', 'out tok', 'ms', 'cost', 'similar'] as const;

function row(c: PromptComparison, o: Observation): string[] {
  return [
    o.prompt,
    o.deployment,
    o.ok ? (o.finishReason ?? '-') : 'ERROR',
    o.validJson === undefined ? '-' : o.validJson ? 'valid' : 'INVALID',
    o.toolCall ? `${o.toolCall.name}${o.toolCall.validArguments ? '' : ' (bad args)'}` : '-',
    String(o.text.length),
    String(o.promptTokens ?? '-'),
    String(o.completionTokens ?? '-'),
    String(o.latencyMs),
    usd(o.costUsd),
    c.similarity[o.deployment] === undefined ? '-' : String(c.similarity[o.deployment]),
  ];
}

/** The terminal table, then every flag. */
export function formatTable(comparisons: readonly PromptComparison[]): string {
  const rows = comparisons.flatMap((c) => c.observations.map((o) => row(c, o)));
  const widths = COLUMNS.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const flags = comparisons.flatMap((c) => c.flags);
  return [
    line(COLUMNS),
    ...rows.map(line),
    '',
    flags.length === 0 ? 'no differences over the thresholds' : `${flags.length} difference(s) over the thresholds:`,
    ...flags.map((f) => `  ${f.prompt}: ${f.kind}: ${f.detail}`),
  ].join('\n');
}

/** Machine-readable result; answers' text is left out (it may echo the prompts). */
export function toJson(group: string, comparisons: readonly PromptComparison[]): unknown {
  return {
    object: 'switchyard.consistency',
    group,
    prompts: comparisons.map((c) => ({ prompt: c.prompt, similarity: c.similarity, flags: c.flags, results: c.observations.map(({ text, ...o }) => ({ ...o, chars: text.length })) })),
  };
}

/** One self-contained page: the table with flagged rows marked, then the flags. */
export function formatHtml(group: string, comparisons: readonly PromptComparison[]): string {
  const body = comparisons
    .flatMap((c) => {
      const flagged = new Set(c.flags.map((f) => f.detail));
      return c.observations.map((o) => {
        const bad = [...flagged].some((d) => d.includes(o.deployment));
        return `<tr${bad ? ' class="flagged"' : ''}>${row(c, o).map((v) => `<td>${esc(v)}</td>`).join('')}</tr>`;
      });
    })
    .join('\n');
  const flags = comparisons.flatMap((c) => c.flags).map((f) => `<li><b>${esc(f.prompt)}</b> ${esc(f.kind)}: ${esc(f.detail)}</li>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchyard consistency: ${esc(group)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}.flagged{background:#fde2e1}</style></head>
<body><h1>Consistency of group "${esc(group)}"</h1>
<table id="consistency"><thead><tr>${COLUMNS.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>
${body}
</tbody></table>
<h2>Differences over the thresholds</h2>
${flags.length === 0 ? '<p>none</p>' : `<ul id="flags">${flags.join('')}</ul>`}
</body></html>
`;
}
