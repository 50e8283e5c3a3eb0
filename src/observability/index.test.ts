import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import type { ConfigInput } from '../config/schema.js';
import type { AttemptRecord } from '../core/events.js';
import { attempt } from '../ledger/testing/fixtures.js';
import { createObservability, type Observability } from './index.js';

const deployments = [
  { id: 'eu', provider: 'openai-compatible', model: 'gpt-4o-mini', region: 'eu-west-1', endpoint: 'https://eu.example.com/v1' },
  { id: 'us', provider: 'anthropic', model: 'claude-sonnet-4-5', region: 'us-east-1', api_key: 'k' },
];

/** Observability on a fake clock: `clock.ms` is what `now()` reads, and what attempts' `startedAt` is written in. */
async function observed(extra: Partial<ConfigInput> = {}): Promise<{ obs: Observability; clock: { ms: number } }> {
  const clock = { ms: 1_000_000 };
  const config = resolveConfig({ deployments, groups: [{ name: 'chat', strategy: 'priority', deployments: ['eu', 'us'] }], ledger: { enabled: false }, ...extra }, {});
  return { obs: await createObservability(config, { now: () => clock.ms }), clock };
}

/** The value of the sample `name{labels...}` (labels matched as a subset), or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const has = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => has[k] === v)) return Number(m[3]);
  }
  return undefined;
}

const start = (requestId: string) => ({ method: 'POST', route: '/v1/chat/completions', path: '/v1/chat/completions', scheme: 'http' as const, headers: {}, requestId });
const EU = { deployment: 'eu', provider: 'openai-compatible', model: 'gpt-4o-mini', region: 'eu-west-1' };
const US = { deployment: 'us', provider: 'anthropic', model: 'claude-sonnet-4-5', region: 'us-east-1' };
const TTFT = 'gen_ai_server_time_to_first_token_seconds';

describe('budget soft-limit counters', () => {
  it("exports each configured budget with a soft limit at 0 before it first counts, so increase() sees the first crossing; a budget without one can never count and gets none", async () => {
    const { obs } = await observed({
      budgets: {
        limits: [
          { name: 'daily', period: 'daily', soft_usd: 5, hard_usd: 10 },
          { name: 'per-team', period: 'monthly', per: 'team', soft_usd: 50 },
          { name: 'hard-only', period: 'monthly', hard_usd: 100 },
        ],
      },
    });
    const before = (await obs.metrics?.render()) ?? '';
    expect(sample(before, 'switchyard_budget_soft_limit_reached_total', { budget: 'daily' })).toBe(0);
    expect(sample(before, 'switchyard_budget_soft_limit_reached_total', { budget: 'per-team' })).toBe(0);
    expect(sample(before, 'switchyard_budget_soft_limit_reached_total', { budget: 'hard-only' })).toBeUndefined();
    obs.softLimitReached({ budget: 'daily', period: 'daily', scope: 'global', softUsd: 5, spentUsd: 5.2, resetsAt: '2025-06-02T00:00:00.000Z' });
    expect(sample((await obs.metrics?.render()) ?? '', 'switchyard_budget_soft_limit_reached_total', { budget: 'daily' })).toBe(1);
  });
});

describe('time to first token of a client request (gen_ai.server.time_to_first_token)', () => {
  it("runs from the request's arrival to its first content, past a failed attempt, its backoff and the fallback, where the time to first chunk is the answering attempt's own", async () => {
    const { obs, clock } = await observed();
    const span = obs.startServerSpan(start('r1'));
    const t0 = clock.ms;
    // The primary fails after 400 ms without content; 100 ms of backoff; the fallback's first chunk 250 ms after it started.
    obs.observer?.onAttempt(attempt({ ...EU, requestId: 'r1', operation: 'stream', startedAt: t0, latencyMs: 400, outcome: 'error', usage: undefined }));
    obs.observer?.onAttempt(attempt({ ...US, requestId: 'r1', operation: 'stream', role: 'fallback', attempt: 2, fallbackFrom: 'eu', startedAt: t0 + 500, latencyMs: 2_000, ttftMs: 250 }));
    clock.ms = t0 + 2_500;
    span.end(200, { group: 'chat', deployment: 'us', region: 'us-east-1' });
    const text = (await obs.metrics?.render()) ?? '';
    const labels = { gen_ai_operation_name: 'chat', gen_ai_provider_name: 'anthropic', gen_ai_request_model: 'claude-sonnet-4-5', group: 'chat', deployment: 'us', region: 'us-east-1' };
    expect(sample(text, `${TTFT}_count`, labels)).toBe(1);
    expect(sample(text, `${TTFT}_sum`, labels)).toBe(0.75);
    expect(sample(text, `${TTFT}_bucket`, { ...labels, le: '0.5' })).toBe(0);
    expect(sample(text, `${TTFT}_bucket`, { ...labels, le: '0.75' })).toBe(1);
    expect(sample(text, 'gen_ai_client_operation_time_to_first_chunk_seconds_sum', { gen_ai_provider_name: 'anthropic' })).toBe(0.25);
  });

  it("counts a request once: a resumed stream's continuation and a shadow copy that reach their own first chunk later add nothing", async () => {
    const { obs, clock } = await observed();
    const span = obs.startServerSpan(start('r2'));
    const t0 = clock.ms;
    obs.observer?.onAttempt(attempt({ ...EU, requestId: 'r2', operation: 'stream', startedAt: t0, ttftMs: 100, latencyMs: 900, outcome: 'error', usage: undefined }));
    obs.observer?.onAttempt(attempt({ ...US, requestId: 'r2', operation: 'stream', role: 'fallback', cause: 'stream_resume', startedAt: t0 + 900, ttftMs: 300 }));
    obs.observer?.onAttempt(attempt({ ...US, requestId: 'r2', operation: 'stream', role: 'shadow', startedAt: t0, ttftMs: 20 }));
    span.end(200, { group: 'chat', deployment: 'us', region: 'us-east-1' }, 'network');
    const text = (await obs.metrics?.render()) ?? '';
    expect(sample(text, `${TTFT}_count`)).toBe(1);
    expect(sample(text, `${TTFT}_sum`, { deployment: 'eu' })).toBe(0.1);
  });

  it('records none for an answer that was not streamed, a stream that failed before its first content, or a stream replayed from the cache', async () => {
    const { obs } = await observed();
    const runs: Array<[string, AttemptRecord, number]> = [
      ['chat', attempt({ ...EU, requestId: 'chat', operation: 'chat' }), 200],
      ['failed', attempt({ ...EU, requestId: 'failed', operation: 'stream', outcome: 'error', usage: undefined }), 503],
      ['cached', attempt({ ...EU, requestId: 'cached', operation: 'stream', cacheHit: true }), 200],
    ];
    for (const [id, record, status] of runs) {
      const span = obs.startServerSpan(start(id));
      obs.observer?.onAttempt(record);
      span.end(status, status === 200 ? { group: 'chat', deployment: 'eu', region: 'eu-west-1' } : undefined, status === 200 ? undefined : 'unavailable');
    }
    const text = (await obs.metrics?.render()) ?? '';
    expect(text).toContain(`# TYPE ${TTFT} histogram`);
    expect(sample(text, `${TTFT}_count`)).toBeUndefined();
  });
});

describe('client request duration, streamed or not', () => {
  it('labels a streamed answer stream="true" (its duration runs to the stream\'s end) and a JSON or error answer stream="false"', async () => {
    const { obs, clock } = await observed();
    const served = { group: 'chat', deployment: 'eu', region: 'eu-west-1' };
    const runs: Array<[string, AttemptRecord, number]> = [
      ['streamed', attempt({ ...EU, requestId: 'streamed', operation: 'stream', startedAt: clock.ms, ttftMs: 200 }), 200],
      ['cached', attempt({ ...EU, requestId: 'cached', operation: 'stream', cacheHit: true }), 200],
      ['json', attempt({ ...EU, requestId: 'json', operation: 'chat' }), 200],
      ['failed', attempt({ ...EU, requestId: 'failed', operation: 'stream', outcome: 'error', usage: undefined }), 503],
    ];
    for (const [id, record, status] of runs) {
      const span = obs.startServerSpan(start(id));
      obs.observer?.onAttempt(record);
      span.end(status, status === 200 ? served : undefined, status === 200 ? undefined : 'unavailable');
    }
    const text = (await obs.metrics?.render()) ?? '';
    const count = (stream: string, code: string) => sample(text, 'switchyard_request_duration_seconds_count', { stream, code });
    expect([count('true', '200'), count('false', '200'), count('false', '503'), count('true', '503')]).toEqual([2, 1, 1, undefined]);
  });
});

describe('a request that failed after its attempts', () => {
  it('counts a client that left before its first content (499) under the group, deployment and region it was waiting on, and so every failure after an attempt, as its error answer names the deployment', async () => {
    const { obs } = await observed();
    const cancelled = obs.startServerSpan(start('left'));
    obs.observer?.onAttempt(attempt({ ...EU, requestId: 'left', operation: 'stream', outcome: 'cancelled', usage: undefined }));
    cancelled.end(499, undefined, 'cancelled');
    const failed = obs.startServerSpan(start('failed'));
    obs.observer?.onAttempt(attempt({ ...EU, requestId: 'failed', outcome: 'error', usage: undefined }));
    obs.observer?.onAttempt(attempt({ ...US, requestId: 'failed', role: 'fallback', attempt: 2, outcome: 'error', usage: undefined }));
    obs.observer?.onAttempt(attempt({ ...EU, requestId: 'failed', role: 'shadow', attempt: 3 }));
    failed.end(503, undefined, 'unavailable');
    const refused = obs.startServerSpan(start('refused'));
    refused.end(429, undefined, 'budget_exceeded');
    const text = (await obs.metrics?.render()) ?? '';
    expect(sample(text, 'switchyard_requests_total', { code: '499', group: 'chat', deployment: 'eu', region: 'eu-west-1', error_kind: 'cancelled' })).toBe(1);
    expect(sample(text, 'switchyard_requests_total', { code: '503', group: 'chat', deployment: 'us', region: 'us-east-1', error_kind: 'unavailable' })).toBe(1);
    expect(sample(text, 'switchyard_requests_total', { code: '429', group: '', deployment: '', region: '', error_kind: 'budget_exceeded' })).toBe(1);
  });
});
