import { createHash } from 'node:crypto';
import type { HttpResponse } from '../http/exchange.js';

const STYLE = `
:root{--fg:#1d1d1f;--muted:#5a5a5f;--line:#d7d7db;--ok:#1a7f37;--bad:#b42318;--warn:#8a5a00;--bg:#fff;--focus:#0b57d0}
*{box-sizing:border-box}body{font:15px/1.45 system-ui,sans-serif;margin:0;color:var(--fg);background:var(--bg)}
header,main{padding:0 1.5rem}header{display:flex;gap:1rem;align-items:baseline;flex-wrap:wrap;border-bottom:1px solid var(--line)}
h1{font-size:1.3rem;margin:.8rem 0}h2{font-size:1.05rem;margin:1.4rem 0 .4rem}
.cards{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0}.card{border:1px solid var(--line);border-radius:6px;padding:.5rem 1rem;min-width:11rem}
.card strong{display:block;font-size:1.4rem}table{border-collapse:collapse;margin:.3rem 0 1rem}.scroll{overflow-x:auto}
caption{text-align:left;font-weight:600;padding:.3rem 0}th,td{border-bottom:1px solid var(--line);padding:.3rem .5rem;text-align:right;white-space:nowrap}
th[scope=row],td.text,th.text,td.state{text-align:left}.state{font-weight:600}.state-ok{color:var(--ok)}.state-bad{color:var(--bad)}.state-warn{color:var(--warn)}
.state-bad::before{content:"\\25CF  "}.state-ok::before{content:"\\25CB  "}.state-warn::before{content:"\\25D0  "}
#connection{color:var(--muted)}a,button,input{font:inherit}:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:.5rem;background:var(--bg);padding:.3rem}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
#signin[hidden]{display:none}form{margin:1rem 0}svg{max-width:100%;height:auto}
@media (prefers-color-scheme:dark){:root{--fg:#ececf1;--muted:#a9a9b3;--line:#3a3a40;--bg:#17171a;--ok:#4ac26b;--bad:#ff7b72;--warn:#e3b341;--focus:#8ab4f8}svg text{fill:#ececf1}}
`;

// Runs in the browser. Reads the SSE feed with fetch so the admin key goes in a header, never in a URL.
const SCRIPT = `
'use strict';
const $ = (id) => document.getElementById(id);
const feedUrl = location.pathname.replace(/\\/?$/, '/events');
const fromHash = new URLSearchParams(location.hash.slice(1)).get('key');
if (fromHash) { sessionStorage.setItem('switchyard-key', fromHash); history.replaceState(null, '', location.pathname + location.search); }
let previous = new Map();
const ms = (v) => (v == null ? 'n/a' : Math.round(v) + ' ms');
const pct = (v) => (v * 100).toFixed(v > 0 && v < 0.1 ? 1 : 0) + '%';
const clock = (t) => new Date(t).toLocaleTimeString();
const usd = (v) => (v >= 0.01 || v === 0 ? '$' + v.toFixed(2) : '$' + Number(v.toPrecision(3)));
function cell(row, text, cls, header) {
  const c = document.createElement(header ? 'th' : 'td');
  if (header) c.scope = 'row';
  c.textContent = text;
  if (cls) c.className = cls;
  row.appendChild(c);
  return c;
}
function fill(tbody, rows, empty, columns) {
  tbody.replaceChildren();
  if (rows.length === 0) { const tr = tbody.insertRow(); const td = cell(tr, empty, 'text'); td.colSpan = columns; return; }
  for (const r of rows) { const tr = tbody.insertRow(); r.forEach(([text, cls], i) => cell(tr, text, cls, i === 0)); }
}
const breakerClass = { closed: 'state state-ok', open: 'state state-bad', 'half-open': 'state state-warn' };
const health = (d) => (d.up ? ['up', 'state state-ok'] : d.drained ? ['drained', 'state state-warn'] : ['down', 'state state-bad']);
// Why a deployment is out of rotation though healthy: a drain (with its reason) or a 429 cool-down.
function routing(d) {
  const why = [];
  if (d.drained) why.push('drained' + (d.drainReason ? ' (' + d.drainReason + ')' : ''));
  if (d.coolingUntil != null) why.push('cooling down until ' + clock(d.coolingUntil));
  return why.length > 0 ? [why.join('; '), 'state state-warn'] : ['in rotation', 'state state-ok'];
}
function announce(text) { const live = $('changes'); live.textContent = text; }
function render(s) {
  $('updated').textContent = new Date(s.at).toLocaleTimeString();
  $('updated').dateTime = new Date(s.at).toISOString();
  const changes = [];
  fill($('deployments').tBodies[0], s.deployments.map((d) => {
    const was = previous.get(d.id);
    if (was && was.drained !== d.drained) changes.push(d.drained ? d.id + ' is now drained' + (d.drainReason ? ' (' + d.drainReason + ')' : '') + '.' : d.id + ' is back in rotation.');
    else if (was && was.breaker !== d.breaker) changes.push('Breaker of ' + d.id + ' is now ' + d.breaker + '.');
    else if (was && was.up !== d.up) changes.push(d.id + ' is now ' + (d.up ? 'up' : 'down') + '.');
    if (was && (was.coolingUntil == null) !== (d.coolingUntil == null)) changes.push(d.coolingUntil != null ? d.id + ' is cooling down until ' + clock(d.coolingUntil) + '.' : d.id + ' is no longer cooling down.');
    return [
      [d.id, 'text'], [d.provider, 'text'], [d.region ?? 'unspecified', 'text'],
      health(d),
      [d.breaker + (d.breaker !== 'closed' && d.breakerReason ? ' (' + d.breakerReason + ')' : ''), breakerClass[d.breaker]],
      routing(d),
      [ms(d.latencyMs?.p50)], [ms(d.latencyMs?.p95)], [ms(d.latencyMs?.p99)], [ms(d.ttftMs?.p50)], [ms(d.ttftMs?.p95)],
      [pct(d.errorRate)], [String(d.inFlight)], [String(d.requests)],
    ];
  }), 'no deployments', 14);
  previous = new Map(s.deployments.map((d) => [d.id, d]));
  fill($('regions').tBodies[0], s.regions.map((r) => [[r.region, 'text'], [r.up + ' of ' + r.total + ' up', r.up === r.total ? 'state state-ok' : r.up === 0 ? 'state state-bad' : 'state state-warn']]), 'no regions', 2);
  const open = s.deployments.filter((d) => d.breaker === 'open').length;
  $('open-breakers').textContent = String(open);
  const l = s.ledger;
  $('failovers').textContent = l ? String(l.failoversLastHour) : 'n/a';
  $('cost-today').textContent = l ? usd(l.costToday.reduce((t, p) => t + p.usd, 0)) : 'n/a';
  fill($('costs').tBodies[0], l ? l.costToday.map((p) => [[p.provider, 'text'], [p.usd === 0 && p.unpricedAttempts > 0 ? 'unpriced' : usd(p.usd)], [String(p.unpricedAttempts)]]) : [], l ? 'no usage today' : 'the ledger is disabled', 3);
  if (l && $('chart').dataset.svg !== l.dailyChartSvg) { $('chart').innerHTML = l.dailyChartSvg; $('chart').dataset.svg = l.dailyChartSvg; }
  if (changes.length > 0) announce(changes.join(' '));
}
function status(text) { $('connection').textContent = text; }
async function connect(attempt) {
  const key = sessionStorage.getItem('switchyard-key');
  const headers = key ? { authorization: 'Bearer ' + key } : {};
  try {
    const res = await fetch(feedUrl, { headers, cache: 'no-store' });
    if (res.status === 401 || res.status === 403) { status('Sign in with an admin key.'); $('signin').hidden = false; $('key').focus(); return; }
    if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
    status('Live');
    attempt = 0;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\\n\\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = frame.split('\\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\\n');
        if (data) render(JSON.parse(data));
      }
    }
  } catch (err) {
    status('Disconnected (' + err.message + '); reconnecting...');
  }
  setTimeout(() => connect(attempt + 1), Math.min(30000, 1000 * 2 ** attempt));
}
$('signin').addEventListener('submit', (e) => {
  e.preventDefault();
  sessionStorage.setItem('switchyard-key', $('key').value);
  $('key').value = '';
  $('signin').hidden = true;
  connect(0);
});
connect(0);
`;

const HEAD_ROW = ['Deployment', 'Provider', 'Region', 'Health', 'Breaker', 'Routing', 'Latency p50', 'p95', 'p99', 'TTFT p50', 'TTFT p95', 'Error rate', 'In flight', 'Requests'];

/** Column headers; the first `text` columns hold names (left-aligned), the rest numbers. */
const th = (labels: readonly string[], text = 1): string => labels.map((l, i) => `<th scope="col"${i < text ? ' class="text"' : ''}>${l}</th>`).join('');

const HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchyard dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<style>${STYLE}</style>
</head><body>
<a class="skip" href="#main">Skip to the deployments</a>
<header><h1>Switchyard</h1><p>Updated <time id="updated">never</time>. <span id="connection" role="status">Connecting...</span></p></header>
<main id="main" tabindex="-1">
<form id="signin" hidden><label for="key">Admin API key</label> <input id="key" type="password" autocomplete="current-password" required> <button type="submit">Show the dashboard</button></form>
<div id="changes" class="visually-hidden" aria-live="polite" aria-atomic="true"></div>
<section aria-labelledby="summary-h"><h2 id="summary-h">At a glance</h2><div class="cards">
<div class="card">Open breakers <strong id="open-breakers">-</strong></div>
<div class="card">Failovers and retries, last hour <strong id="failovers">-</strong></div>
<div class="card">Cost today (UTC) <strong id="cost-today">-</strong></div>
</div></section>
<section aria-labelledby="deployments-h"><h2 id="deployments-h">Deployments</h2>
<div class="scroll" role="region" aria-labelledby="deployments-h" tabindex="0"><table id="deployments"><caption>Health, breaker, routing, latency and load of each deployment</caption><thead><tr>${th(HEAD_ROW, 6)}</tr></thead><tbody></tbody></table></div></section>
<section aria-labelledby="regions-h"><h2 id="regions-h">Regions</h2>
<table id="regions"><caption>Deployments up per region</caption><thead><tr>${th(['Region', 'Health'])}</tr></thead><tbody></tbody></table></section>
<section aria-labelledby="cost-h"><h2 id="cost-h">Cost</h2>
<table id="costs"><caption>Today's cost per provider (UTC day)</caption><thead><tr>${th(['Provider', 'Cost', 'Unpriced attempts'])}</tr></thead><tbody></tbody></table>
<figure><figcaption>Daily cost per provider, last 14 days</figcaption><div id="chart"></div></figure></section>
</main>
<script>${SCRIPT}</script>
</body></html>
`;

// The CSP allows exactly this inline script, by its hash, and no other.
const SCRIPT_HASH = `'sha256-${createHash('sha256').update(SCRIPT).digest('base64')}'`;

/** GET /dashboard: the live dashboard, one self-contained page (no external URL; data comes from /dashboard/events). */
export function dashboardPage(): HttpResponse {
  return {
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      // Nothing but this page's own inline code, and fetches back to the gateway.
      'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; script-src ${SCRIPT_HASH}; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    },
    body: HTML,
  };
}
