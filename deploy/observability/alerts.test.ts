import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parser } from '@prometheus-io/lezer-promql';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startServer, type RunningServer } from '../../src/adapters/node/server.js';
import { createApp, type App } from '../../src/app.js';
import { ClusterMetrics } from '../../src/cluster/metrics.js';
import { resolveConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/core/logger.js';
import { startOpenAISim } from '../../src/sim/openai/index.js';
import type { SimServer } from '../../src/sim/server.js';

const read = (name: string): string => readFileSync(new URL(name, import.meta.url), 'utf8');

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Dashboard {
  panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
}

const rulesOf = (text: string): Rule[] => (parseYaml(text) as { groups: Array<{ name: string; rules: Rule[] }> }).groups.flatMap((g) => g.rules);
const rules = rulesOf(read('alerts.yaml'));
/** What every runbook_url starts with until the operator replaces it (docs/OBSERVABILITY.md, "Alerts and dashboards"). */
const RUNBOOK_PLACEHOLDER = 'https://switchyard-runbook.invalid/RUNBOOK.md';
const dashboard = JSON.parse(read('grafana-dashboard.json')) as Dashboard;
/** Grafana's range variables, given values so the expression parses as plain PromQL. */
const withoutGrafanaVariables = (expr: string): string => expr.replaceAll('$__rate_interval', '5m').replaceAll('$__range', '1h');
const panelExprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: withoutGrafanaVariables(t.expr) })));
const ruleExprs = rules.map((r) => ({ where: `alert ${r.alert ?? r.record ?? '?'}`, expr: r.expr }));

/**
 * Prometheus' own checker (Debian's prometheus package; `.ci/run` unpacks its promtool when it can):
 * `PROMTOOL`, else `promtool` on the PATH. Its specs skip, saying so, without it.
 */
const PROMTOOL = [process.env.PROMTOOL, 'promtool'].find((p): p is string => p !== undefined && spawnSync(p, ['--version']).status === 0);
const promtool = (args: string[], input?: string): string =>
  execFileSync(PROMTOOL as string, args, { cwd: fileURLToPath(new URL('.', import.meta.url)), input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
const withPromtool = PROMTOOL ? '' : ' (skipped: no promtool; apt-get install prometheus, or set PROMTOOL)';

/** A series an expression selects: its metric name and the labels it matches on. */
interface Selector {
  metric: string;
  labels: string[];
}

/** Every vector selector of a PromQL expression; throws on a syntax error. */
function selectors(expr: string): Selector[] {
  const found: Selector[] = [];
  const tree = parser.parse(expr);
  tree.iterate({
    enter(node) {
      if (node.type.isError) throw new Error(`syntax error at ${node.from} in: ${expr}`);
      if (node.name !== 'VectorSelector') return;
      const id = node.node.getChild('Identifier');
      const matchers = node.node.getChild('LabelMatchers');
      const labels = (matchers?.getChildren('UnquotedLabelMatcher') ?? []).map((m) => {
        const name = m.getChild('LabelName');
        return name ? expr.slice(name.from, name.to) : '';
      });
      found.push({ metric: id ? expr.slice(id.from, id.to) : '', labels });
    },
  });
  return found;
}

/** What a scrape exports: each series' type and the label names its samples carry. */
interface Exported {
  type: string;
  labels: Set<string>;
}

/** Metric families of a text exposition, keyed by every name PromQL can select (histogram parts too). */
function exported(text: string): Map<string, Exported> {
  const families = new Map<string, Exported>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [name, type] = [m[1] as string, m[2] as string];
    const family = { type, labels: new Set<string>() };
    const names = type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
    for (const n of names) families.set(n, family);
  }
  for (const m of text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/gm)) {
    const family = families.get(m[1] as string);
    for (const l of (m[2] as string).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) family?.labels.add(l[1] as string);
  }
  return families;
}

describe('alert rules and the Grafana dashboard', () => {
  let primary: SimServer;
  let secondary: SimServer;
  let app: App;
  let server: RunningServer;
  let families: Map<string, Exported>;
  let exposition: string;

  beforeAll(async () => {
    primary = await startOpenAISim({ name: 'alerts-primary' });
    secondary = await startOpenAISim({ name: 'alerts-secondary' });
    const config = resolveConfig(
      {
        routing: { max_attempts_per_deployment: 2, backoff: { base_ms: 1, cap_ms: 2 } },
        deployments: [
          { id: 'eu', provider: 'openai-compatible', model: 'gpt-4o-mini', region: 'eu-west-1', endpoint: `${primary.url}/v1` },
          { id: 'us', provider: 'openai-compatible', model: 'gpt-4o-mini', region: 'us-east-1', endpoint: `${secondary.url}/v1` },
        ],
        groups: [{ name: 'chat', strategy: 'priority', deployments: ['eu', 'us'] }],
        api_keys: [{ id: 'user', key: 'sk-alerts-test' }],
        ledger: { enabled: false },
        // Crossed by the first priced request: the soft-limit counter gets a series; the spend and limit gauges too.
        budgets: { limits: [{ name: 'daily', period: 'daily', soft_usd: 1e-9, hard_usd: 100 }] },
      },
      {},
    );
    app = await createApp(config);
    server = await startServer(app.gateway, { ...app.serverOptions, port: 0, host: '127.0.0.1', onClose: () => app.close() });
    const chat = (stream = false): Promise<number> =>
      request(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-alerts-test', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'chat', stream, messages: [{ role: 'user', content: 'Hi' }] }),
      }).then(async (res) => (await res.body.dump(), res.statusCode));
    expect(await chat()).toBe(200);
    // A stream: its time to first token and its duration's stream="true" series get samples, so their labels are checked.
    expect(await chat(true)).toBe(200);
    primary.faults.add({ status: 503, count: 2 });
    expect(await chat()).toBe(200); // retried, then served by the fallback
    primary.faults.add({ status: 503, count: 2 });
    secondary.faults.add({ status: 503, count: 2 });
    expect(await chat()).toBe(503);
    exposition = (await app.metrics?.render()) ?? '';
    families = exported(exposition);
    // What serve --workers adds (the primary's own series), as its primary renders them with this app as a worker.
    // The worker's answer is read once, first: in this one process, reading it again would also read (and
    // restart) the event-loop monitor the primary's own lag comes from.
    const answer = await app.metrics?.json();
    const cluster = new ClusterMetrics({ workers: () => [{ id: 1, collect: async () => answer }], logger: silentLogger });
    await cluster.render();
    // The primary's lag monitor starts with its first scrape; the next has measured something.
    await new Promise((r) => setTimeout(r, 50));
    for (const [name, family] of exported(await cluster.render())) if (!families.has(name)) families.set(name, family);
  });

  afterAll(async () => {
    await server.shutdown(100);
    await Promise.all([primary.close(), secondary.close()]);
  });

  it("counts in the region error panel exactly the upstream faults the region's alert counts, and every failed request in the client errors panel", () => {
    const kinds = (expr: string): string | undefined => /error_kind=~"([^"]+)"/.exec(expr)?.[1];
    const alert = rules.find((r) => r.alert === 'SwitchyardRegionErrorRateHigh');
    const panel = panelExprs.find((p) => p.where === 'panel "Upstream error rate by region"');
    expect(kinds(panel?.expr ?? '')).toBe(kinds(alert?.expr ?? ''));
    // A stream that fails after its 200 keeps code="200" and says how it failed in error_kind only.
    expect(panelExprs.find((p) => p.where === 'panel "Client errors by kind"')?.expr).toContain('error_kind!=""');
  });

  it("judges a region's latency by answers not streamed and by streams' time to first token, never by how long a stream runs", () => {
    const latency = [...ruleExprs, ...panelExprs].filter((e) => /switchyard_request_duration_seconds|gen_ai_server_time_to_first_token/.test(e.expr) && e.expr.includes('region'));
    expect(latency.map((e) => e.where).sort()).toEqual([
      'alert SwitchyardRegionLatencyHigh',
      'alert SwitchyardRegionTimeToFirstTokenHigh',
      'panel "p95 duration of answers not streamed, by region"',
      'panel "p95 time to first token by region (streams, failovers included)"',
    ]);
    for (const { where, expr } of latency) {
      for (const s of selectors(expr)) {
        if (s.metric.startsWith('switchyard_request_duration_seconds')) expect(expr, where).toMatch(/switchyard_request_duration_seconds_\w+\{[^}]*stream="false"/);
      }
    }
    const ttft = rules.find((r) => r.alert === 'SwitchyardRegionTimeToFirstTokenHigh');
    // Its quantile cannot tell values past the last bucket (10 s, the GenAI conventions') apart: the threshold stays below it.
    expect(Number(/\) > (\d+(?:\.\d+)?)\n/.exec(ttft?.expr ?? '')?.[1])).toBeLessThan(10);
  });

  it("charts each deployment's upstream duration and time to first token, and each pod's CPU, memory and event-loop lag, from series a scrape holds", () => {
    const charted = (title: string): Selector[] => panelExprs.filter((p) => p.where === `panel "${title}"`).flatMap((p) => selectors(p.expr));
    const perDeployment = [...charted('p95 upstream attempt duration by deployment (not streamed)'), ...charted('p95 time to first token by deployment (streams, failovers included)')];
    expect(perDeployment.map((s) => s.metric)).toEqual(['switchyard_attempt_duration_seconds_bucket', 'gen_ai_server_time_to_first_token_seconds_bucket']);
    for (const s of perDeployment) expect([...(families.get(s.metric)?.labels ?? [])], s.metric).toContain('deployment');
    expect([...(families.get('switchyard_attempt_duration_seconds_bucket')?.labels ?? [])]).toEqual(expect.arrayContaining(['stream', 'outcome']));
    const process = charted('Process: CPU, memory, event-loop lag p99').map((s) => s.metric);
    expect(process).toEqual(['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds']);
    for (const metric of process) expect(exposition, metric).toMatch(new RegExp(`^${metric} \\d`, 'm'));
  });

  it('gives every alert a duration, a severity and a summary', () => {
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) {
      expect(r.alert, r.expr).toMatch(/^Switchyard[A-Za-z]+$/);
      expect(r.for, r.alert).toMatch(/^\d+[smh]$/);
      expect(['info', 'warning', 'critical'], r.alert).toContain(r.labels?.severity);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
    }
  });

  it("points every alert's runbook_url at its own section of docs/RUNBOOK.md, under the placeholder the operator replaces", () => {
    const runbook = read('../../docs/RUNBOOK.md');
    // GitHub's anchor of a heading: lower case, spaces to hyphens, other punctuation dropped.
    const anchors = new Set([...runbook.matchAll(/^#{2,3} (.+)$/gm)].map((m) => (m[1] as string).trim().toLowerCase().replace(/[^a-z0-9 -]/g, '').replaceAll(' ', '-')));
    for (const r of rules) {
      expect(r.annotations?.runbook_url, r.alert).toBe(`${RUNBOOK_PLACEHOLDER}#${(r.alert ?? '').toLowerCase()}`);
      expect([...anchors], r.alert).toContain((r.alert ?? '').toLowerCase());
    }
  });

  it('gives every alert an absolute runbook_url at the base the operator sets, and nothing else, by the documented substitution', () => {
    const docs = read('../../docs/OBSERVABILITY.md');
    const command = `sed "s|${RUNBOOK_PLACEHOLDER}|$SWITCHYARD_RUNBOOK_URL|g" deploy/observability/alerts.yaml`;
    expect(docs).toContain(command);
    const base = 'https://wiki.example.com/ops/switchyard/RUNBOOK.md';
    const text = read('alerts.yaml');
    const substituted = execFileSync('sed', [`s|${RUNBOOK_PLACEHOLDER}|${base}|g`], { input: text, encoding: 'utf8' });
    const after = rulesOf(substituted);
    expect(after.map((r) => r.annotations?.runbook_url)).toEqual(rules.map((r) => `${base}#${(r.alert ?? '').toLowerCase()}`));
    for (const r of after) expect(new URL(r.annotations?.runbook_url ?? '').protocol, r.alert).toBe('https:');
    // Only the URLs changed: expressions, summaries and every other annotation are as they were.
    expect(after.map((r) => ({ ...r, annotations: { ...r.annotations, runbook_url: undefined } }))).toEqual(rules.map((r) => ({ ...r, annotations: { ...r.annotations, runbook_url: undefined } })));
  });

  it.each([...ruleExprs, ...panelExprs])('$where selects only series the gateway exports, by labels they carry', ({ expr }) => {
    const used = selectors(expr);
    expect(used.length).toBeGreaterThan(0);
    for (const s of used) {
      const family = families.get(s.metric);
      expect(family, `${s.metric} is not exported`).toBeDefined();
      // Series never observed in this run have no samples to read their labels from.
      if (!family || family.labels.size === 0) continue;
      for (const label of s.labels) expect([...family.labels], `${s.metric} has no label ${label}`).toContain(label);
    }
  });

  it('rejects a metric the gateway does not export and a label its series do not carry', () => {
    expect(families.has('switchyard_requests_total')).toBe(true);
    expect(families.has('switchyard_request_duration_seconds_bucket')).toBe(true);
    expect(families.has('switchyard_request_latency_seconds_bucket')).toBe(false);
    expect(families.get('switchyard_request_duration_seconds_bucket')?.labels).toContain('region');
    expect(families.get('switchyard_request_duration_seconds_bucket')?.labels).toContain('stream');
    expect(families.get('gen_ai_server_time_to_first_token_seconds_bucket')?.labels).toContain('region');
    expect(families.get('switchyard_breaker_state')?.labels).not.toContain('group');
    expect(families.get('switchyard_budget_soft_limit_reached_total')?.labels).toContain('budget');
    expect([...(families.get('switchyard_budget_spend_usd')?.labels ?? [])]).toEqual(['budget', 'period', 'scope']);
    expect([...(families.get('switchyard_budget_limit_usd')?.labels ?? [])]).toEqual(['budget', 'period', 'scope']);
    expect(() => selectors('sum(rate(x[5m]')).toThrow(/syntax error/);
  });

  it.skipIf(!PROMTOOL)(`passes Prometheus' own checks: the rules load, their unit tests (alerts.rules-test.yaml) pass, the exposition lints clean${withPromtool}`, () => {
    expect(promtool(['check', 'rules', 'alerts.yaml'])).toContain(`SUCCESS: ${rules.length} rules found`);
    // Each alert fires when and with what its tests say, summaries rendered (budgets' first crossings, a region's faults, streams' TTFT).
    expect(promtool(['test', 'rules', 'alerts.rules-test.yaml'])).toContain('SUCCESS');
    // Naming and units (counters end in _total, no reserved suffixes): silent when clean, an exit code otherwise.
    expect(promtool(['check', 'metrics'], exposition)).toBe('');
  });
});
