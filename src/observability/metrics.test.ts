import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';
import { createGateway, type Gateway } from '../gateway/gateway.js';
import type { BatcherStats } from '../ledger/batcher.js';
import { attempt } from '../ledger/testing/fixtures.js';
import { makeUsage } from '../core/types.js';
import { GatewayMetrics } from './metrics.js';
import { userRequest } from '../testing/canonical.js';

/** One sample line of the text format: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] as string] = l[2] as string;
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return samples;
}

function value(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe('gateway metrics', () => {
  let primary: SimServer;
  let secondary: SimServer;
  let gateway: Gateway;
  let metrics: GatewayMetrics;

  beforeAll(async () => {
    primary = await startOpenAISim({ name: 'primary' });
    secondary = await startOpenAISim({ name: 'secondary' });
    const config = resolveConfig(
      {
        routing: { max_attempts_per_deployment: 2, backoff: { base_ms: 1, cap_ms: 2 }, breaker: { consecutive_failures: 3, cool_off_ms: 60_000 }, unknown_model_to_default: true },
        deployments: [
          { id: 'primary', provider: 'openai-compatible', model: 'gpt-4o-mini', region: 'eu', endpoint: `${primary.url}/v1` },
          { id: 'secondary', provider: 'openai-compatible', model: 'gpt-4o', region: 'us', endpoint: `${secondary.url}/v1` },
        ],
        groups: [{ name: 'chat', strategy: 'priority', deployments: ['primary', 'secondary'] }],
        default_group: 'chat',
      },
      {},
    );
    metrics = new GatewayMetrics(config.deployments, { costOf: (r) => (r.usage ? r.usage.total * 1e-6 : undefined) });
    gateway = createGateway(config, { observers: [metrics] });
    metrics.watch(() => gateway.status());
  });

  afterAll(async () => {
    await gateway.close();
    await Promise.all([primary.close(), secondary.close()]);
  });

  it('reports GenAI client metrics and gateway counters after requests, a retry and a fallback', async () => {
    const tags = { key: 'alice', team: 'research' };
    await gateway.chat(userRequest('chat', 'Hi'), { tags });
    const stream = await gateway.stream(userRequest('chat', 'Hi'), { tags });
    for await (const part of stream.parts) void part;
    // Request 3: 503, a retry, 503, a fallback to the secondary. Request 4: a third 503 opens the
    // primary's breaker, so its retry is skipped and the request falls back with cause circuit_open.
    primary.faults.add({ status: 503, count: 3 });
    await gateway.chat(userRequest('chat', 'Hi'), { tags });
    await gateway.chat(userRequest('chat', 'Hi'), { tags });

    const text = await metrics.render();
    const s = parse(text);
    const genai = { gen_ai_operation_name: 'chat', gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-4o-mini', server_address: '127.0.0.1', server_port: new URL(primary.url).port };
    expect(value(s, 'gen_ai_client_token_usage_count', { ...genai, gen_ai_token_type: 'input' })).toBe(2);
    expect(value(s, 'gen_ai_client_token_usage_count', { ...genai, gen_ai_token_type: 'output' })).toBe(2);
    expect(value(s, 'gen_ai_client_token_usage_sum', { ...genai, gen_ai_token_type: 'input' })).toBeGreaterThan(0);
    expect(value(s, 'gen_ai_client_operation_duration_seconds_count', { ...genai, error_type: 'unavailable' })).toBe(3);
    expect(value(s, 'gen_ai_client_operation_time_to_first_chunk_seconds_count', genai)).toBe(1);
    expect(s.find((x) => x.name === 'gen_ai_client_operation_duration_seconds_count' && x.labels.gen_ai_request_model === 'gpt-4o' && !x.labels.error_type)?.value).toBe(2);

    expect(value(s, 'switchyard_attempts_total', { deployment: 'primary', role: 'primary', outcome: 'error', error_kind: 'unavailable' })).toBe(2);
    expect(value(s, 'switchyard_attempts_total', { deployment: 'primary', role: 'retry', outcome: 'error', error_kind: 'unavailable' })).toBe(1);
    expect(value(s, 'switchyard_attempts_total', { deployment: 'secondary', role: 'fallback', outcome: 'ok', error_kind: '' })).toBe(2);
    expect(value(s, 'switchyard_retries_total', { group: 'chat', deployment: 'primary', cause: 'unavailable' })).toBe(1);
    expect(value(s, 'switchyard_fallbacks_total', { group: 'chat', from: 'primary', to: 'secondary', cause: 'unavailable' })).toBe(1);
    expect(value(s, 'switchyard_fallbacks_total', { group: 'chat', from: 'primary', to: 'secondary', cause: 'circuit_open' })).toBe(1);
    expect(value(s, 'switchyard_cost_usd_total', { provider: 'openai-compatible', model: 'gpt-4o-mini', region: 'eu', key: 'alice', team: 'research' })).toBeGreaterThan(0);
    expect(value(s, 'switchyard_breaker_state', { deployment: 'primary', state: 'open' })).toBe(1);
    expect(value(s, 'switchyard_breaker_state', { deployment: 'secondary', state: 'closed' })).toBe(1);
    expect(value(s, 'switchyard_breaker_transitions_total', { deployment: 'primary', state: 'open' })).toBe(1);
    expect(value(s, 'switchyard_deployment_up', { deployment: 'primary' })).toBe(1);
    expect(value(s, 'switchyard_group_deployments_available', { group: 'chat' })).toBe(1);
    expect(text).toContain('# TYPE gen_ai_client_token_usage histogram');
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('never turns a model name from a client into a label value', async () => {
    await gateway.chat(userRequest('my-secret-finetune-9f8e7d', 'Hi'));
    const text = await metrics.render();
    expect(text).not.toContain('my-secret-finetune-9f8e7d');
    expect(value(parse(text), 'gen_ai_client_operation_duration_seconds_count', { gen_ai_request_model: 'gpt-4o', gen_ai_provider_name: 'openai' })).toBeGreaterThan(0);
  });

  it('counts client requests in flight and by status once they end', async () => {
    metrics.requestStarted();
    metrics.requestStarted();
    expect(value(parse(await metrics.render()), 'switchyard_requests_in_flight', {})).toBe(2);
    metrics.requestEnded('/v1/chat/completions', 200, 0.5, { group: 'chat', deployment: 'secondary', region: 'us' }, undefined);
    metrics.requestEnded('/v1/chat/completions', 404, 0.01, undefined, 'model_not_found');
    const s = parse(await metrics.render());
    expect(value(s, 'switchyard_requests_in_flight', {})).toBe(0);
    expect(value(s, 'switchyard_requests_total', { route: '/v1/chat/completions', code: '200', group: 'chat', deployment: 'secondary', region: 'us' })).toBe(1);
    expect(value(s, 'switchyard_requests_total', { code: '404', error_kind: 'model_not_found' })).toBe(1);
    expect(value(s, 'switchyard_request_duration_seconds_count', { route: '/v1/chat/completions', code: '200', region: 'us' })).toBe(1);
  });

  it('reads each deployment series and the retry budget from the status at scrape time', async () => {
    const other = new GatewayMetrics([]);
    const status = gateway.status();
    const [first, second] = status.deployments as [(typeof status.deployments)[number], (typeof status.deployments)[number]];
    status.deployments = [
      { ...first, inFlight: 3, coolingUntil: status.at + 1_000, health: { ...first.health, checks: { ...first.health.checks, ok: 5, failed: 2 } } },
      { ...second, health: { ...second.health, up: false } },
    ];
    status.retryBudget = { ...status.retryBudget, denied: 4 };
    other.watch(() => status);
    const s = parse(await other.render());
    expect(value(s, 'switchyard_deployment_in_flight', { deployment: 'primary' })).toBe(3);
    expect(value(s, 'switchyard_deployment_in_flight', { deployment: 'secondary' })).toBe(0);
    expect(value(s, 'switchyard_deployment_cooling_down', { deployment: 'primary' })).toBe(1);
    expect(value(s, 'switchyard_deployment_cooling_down', { deployment: 'secondary' })).toBe(0);
    expect(value(s, 'switchyard_health_checks_total', { deployment: 'primary', result: 'ok' })).toBe(5);
    expect(value(s, 'switchyard_health_checks_total', { deployment: 'primary', result: 'failed' })).toBe(2);
    expect(value(s, 'switchyard_deployment_up', { deployment: 'secondary' })).toBe(0);
    // The primary is cooling down and the secondary down: neither can take traffic.
    expect(value(s, 'switchyard_group_deployments_available', { group: 'chat' })).toBe(0);
    expect(value(s, 'switchyard_retry_budget_exhausted_total', {})).toBe(4);
  });

  it('reads the ledger queue and spill counters at scrape time, and counts soft limits by budget', async () => {
    const other = new GatewayMetrics([]);
    const ledger: { stats: BatcherStats | undefined } = { stats: undefined };
    other.watchLedger(() => ledger.stats);
    expect(value(parse(await other.render()), 'switchyard_ledger_spilled_events_total', {})).toBe(0);
    ledger.stats = { queued: 7, written: 10, spilled: 3, dropped: 4, replayed: 1, failures: 2, storeDown: true };
    other.softLimitReached('monthly');
    const s = parse(await other.render());
    expect(value(s, 'switchyard_ledger_queued_events', {})).toBe(7);
    expect(value(s, 'switchyard_ledger_store_down', {})).toBe(1);
    expect(value(s, 'switchyard_ledger_spilled_events_total', {})).toBe(3);
    expect(value(s, 'switchyard_ledger_replayed_events_total', {})).toBe(1);
    expect(value(s, 'switchyard_ledger_dropped_events_total', {})).toBe(4);
    expect(value(s, 'switchyard_budget_soft_limit_reached_total', { budget: 'monthly' })).toBe(1);
  });

  it('exports budget spend and hard limits read at scrape time, once per scrape, and survives an unreachable state', async () => {
    const other = new GatewayMetrics([]);
    expect(await other.render()).toContain('# TYPE switchyard_budget_spend_usd gauge');
    let reads = 0;
    let down = false;
    other.watchBudgets(async () => {
      reads += 1;
      if (down) throw new Error('Redis unreachable');
      return [
        { budget: 'daily', period: 'daily', scope: 'global', spentUsd: 8.5, limitUsd: 10 },
        { budget: 'per-key', period: 'monthly', scope: 'key=alice', spentUsd: 1.25, limitUsd: undefined },
        { budget: 'team', period: 'monthly', scope: 'team=research', spentUsd: undefined, limitUsd: 50 },
      ];
    });
    const s = parse(await other.render());
    expect(reads).toBe(1);
    expect(value(s, 'switchyard_budget_spend_usd', { budget: 'daily', period: 'daily', scope: 'global' })).toBe(8.5);
    expect(value(s, 'switchyard_budget_limit_usd', { budget: 'daily', period: 'daily', scope: 'global' })).toBe(10);
    expect(value(s, 'switchyard_budget_spend_usd', { budget: 'per-key', scope: 'key=alice' })).toBe(1.25);
    expect(value(s, 'switchyard_budget_limit_usd', { budget: 'per-key' })).toBeUndefined();
    expect(value(s, 'switchyard_budget_spend_usd', { budget: 'team' })).toBeUndefined();
    expect(value(s, 'switchyard_budget_limit_usd', { budget: 'team', scope: 'team=research' })).toBe(50);
    down = true;
    const text = await other.render();
    expect(text).toContain('# TYPE switchyard_budget_spend_usd gauge');
    expect(value(parse(text), 'switchyard_budget_spend_usd', { budget: 'daily' })).toBeUndefined();
  });

  it("keeps the gateway's estimated token counts out of gen_ai_client_token_usage (the conventions allow no guesses there) and counts them in switchyard_estimated_token_usage", async () => {
    const other = new GatewayMetrics([]);
    other.onAttempt(attempt({ usage: makeUsage({ prompt: 1000, completion: 100 }) }));
    other.onAttempt(attempt({ usage: makeUsage({ prompt: 40, completion: 8 }), usageEstimated: true }));
    other.onAttempt(attempt({ usage: makeUsage({ prompt: 40 }), usageEstimated: true, outcome: 'cancelled' }));
    const s = parse(await other.render());
    const input = { gen_ai_request_model: 'gpt-4o-mini', gen_ai_token_type: 'input' };
    expect(value(s, 'gen_ai_client_token_usage_count', input)).toBe(1);
    expect(value(s, 'gen_ai_client_token_usage_sum', input)).toBe(1000);
    expect(value(s, 'switchyard_estimated_token_usage_count', input)).toBe(2);
    expect(value(s, 'switchyard_estimated_token_usage_sum', input)).toBe(80);
    expect(value(s, 'switchyard_estimated_token_usage_sum', { ...input, gen_ai_token_type: 'output' })).toBe(8);
  });

  it('labels attempts with the deployment as it is now, after a reload changed its model, and merges deployments with equal labels', async () => {
    const other = new GatewayMetrics([]);
    other.onAttempt(attempt({ deployment: 'a', model: 'gpt-4o-mini' }));
    other.onAttempt(attempt({ deployment: 'a', model: 'gpt-4o' }));
    other.onAttempt(attempt({ deployment: 'b', model: 'gpt-4o' }));
    const s = parse(await other.render());
    const count = (model: string) => value(s, 'gen_ai_client_operation_duration_seconds_count', { gen_ai_request_model: model });
    expect([count('gpt-4o-mini'), count('gpt-4o')]).toEqual([1, 2]);
    expect(s.filter((x) => x.name === 'gen_ai_client_operation_duration_seconds_count')).toHaveLength(2);
    expect(value(s, 'switchyard_attempts_total', { deployment: 'a' })).toBe(2);
  });

  it('counts answers from the response cache by group and deployment, as no upstream operation or attempt', async () => {
    const other = new GatewayMetrics([]);
    other.onAttempt(attempt({ deployment: 'a', group: 'chat', cacheHit: true }));
    other.onAttempt(attempt({ deployment: 'a', group: 'chat', cacheHit: true }));
    other.onAttempt(attempt({ deployment: 'a', group: 'chat' }));
    const s = parse(await other.render());
    expect(value(s, 'switchyard_cache_hits_total', { group: 'chat', deployment: 'a' })).toBe(2);
    expect(value(s, 'switchyard_attempts_total', { deployment: 'a' })).toBe(1);
    expect(value(s, 'gen_ai_client_operation_duration_seconds_count', {})).toBe(1);
  });

  it('gives its metrics as JSON for serve --workers, each series\' labels whole, and tells how each gauge combines across workers', async () => {
    const other = new GatewayMetrics([]);
    other.watch(() => gateway.status());
    other.watchLedger(() => undefined);
    other.requestStarted();
    other.requestEnded('/v1/chat/completions', 200, 0.5, { group: 'chat', deployment: 'secondary', region: 'us' }, undefined);
    const { registry, metrics: json } = await other.json();
    // A reload's fresh registry reads as one to the primary, whatever its counts.
    expect((await new GatewayMetrics([]).json()).registry).not.toBe(registry);
    const metric = (name: string) => json.find((m) => m.name === name);
    expect(metric('switchyard_request_duration_seconds')?.values).toContainEqual({ labels: { le: '+Inf', route: '/v1/chat/completions', code: '200', region: 'us', stream: 'false' }, value: 1, metricName: 'switchyard_request_duration_seconds_bucket' });
    expect(metric('switchyard_requests_total')).toMatchObject({ type: 'counter', aggregator: 'sum' });
    // Each worker's own load adds up; a fact every worker reads from shared state does not.
    const aggregators = Object.fromEntries(json.filter((m) => m.type === 'gauge').map((m) => [m.name, m.aggregator]));
    // The process's: each worker's memory adds up; the event loop's lag is the worst worker's.
    expect(aggregators).toMatchObject({ process_resident_memory_bytes: 'sum', nodejs_heap_size_used_bytes: 'sum', nodejs_eventloop_lag_p99_seconds: 'max' });
    const own = Object.fromEntries(Object.entries(aggregators).filter(([name]) => name.startsWith('switchyard_')));
    expect(own).toEqual({
      switchyard_requests_in_flight: 'sum',
      switchyard_deployment_in_flight: 'sum',
      switchyard_ledger_queued_events: 'sum',
      switchyard_breaker_state: 'max',
      switchyard_deployment_up: 'max',
      switchyard_deployment_cooling_down: 'max',
      switchyard_group_deployments_available: 'max',
      switchyard_ledger_store_down: 'max',
      switchyard_budget_spend_usd: 'max',
      switchyard_budget_limit_usd: 'max',
    });
  });

  it('keeps each gateway in its own registry', async () => {
    const other = new GatewayMetrics([]);
    other.requestStarted();
    expect(value(parse(await other.render()), 'switchyard_requests_in_flight', {})).toBe(1);
    expect(value(parse(await metrics.render()), 'switchyard_requests_in_flight', {})).toBe(0);
  });
});
