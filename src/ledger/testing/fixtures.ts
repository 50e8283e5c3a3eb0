import type { AdmissionRequest, AttemptRecord } from '../../core/events.js';
import { makeUsage, type Usage } from '../../core/types.js';
import type { UsageEvent } from '../event.js';
import { toUsageEvent } from '../event.js';

/** An attempt record with sensible defaults, for tests. */
export function attempt(over: Partial<AttemptRecord> & { usage?: Usage } = {}): AttemptRecord {
  return {
    requestId: 'req-1',
    attempt: 1,
    operation: 'chat',
    role: 'primary',
    group: 'chat',
    deployment: 'oai',
    provider: 'openai',
    model: 'gpt-4o-mini',
    region: 'us-east-1',
    cause: undefined,
    fallbackFrom: undefined,
    startedAt: Date.parse('2025-06-01T10:00:00Z'),
    latencyMs: 120,
    ttftMs: undefined,
    usage: makeUsage({ prompt: 1000, completion: 100 }),
    usageEstimated: false,
    outcome: 'ok',
    error: undefined,
    tags: { key: 'k1', team: 'research' },
    ...over,
  };
}

/** `n` distinct events spread over days and providers, each costing `usd`. */
export function events(n: number, usd = 0.001, start = Date.parse('2025-06-01T00:00:00Z')): UsageEvent[] {
  const providers = ['openai', 'bedrock', 'vertex'];
  return Array.from({ length: n }, (_, i) =>
    toUsageEvent(
      attempt({
        requestId: `r${i}`,
        startedAt: start + (i % 3) * 86_400_000 + i,
        provider: providers[i % 3] as string,
        deployment: `d-${providers[i % 3]}`,
        tags: { key: i % 2 ? 'k1' : 'k2', team: 'research', project: i % 2 ? 'alpha' : 'beta' },
      }),
      { usd, priced: true },
    ),
  );
}

/**
 * Three client requests at `start`, two of which failed on deployment `a` and fell back to `b`: five
 * attempts, rows a = 3 and b = 2 requests when grouped by deployment, and 3 requests in all.
 */
export function fallbackEvents(start = Date.parse('2025-06-01T10:00:00Z')): UsageEvent[] {
  const at = (requestId: string, n: number, deployment: string, outcome: 'ok' | 'error') =>
    toUsageEvent(attempt({ requestId, attempt: n, startedAt: start + n, deployment, outcome, role: n === 1 ? 'primary' : 'fallback' }), { usd: outcome === 'ok' ? 0.01 : 0, priced: true });
  return [at('fb-1', 1, 'a', 'ok'), at('fb-2', 1, 'a', 'error'), at('fb-2', 2, 'b', 'ok'), at('fb-3', 1, 'a', 'error'), at('fb-3', 2, 'b', 'ok')];
}

/** Postgres URL for tests, or undefined (tests skip visibly). */
export const DATABASE_URL = process.env.DATABASE_URL;

/** A schema name private to one test file run, so parallel runs never share tables. */
export function testSchema(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
}

/** An admission request for gpt-4o-mini on deployment `oai`: 1,000 prompt and at most 500 completion tokens. */
export function admissionRequest(id: string, tags: Record<string, string>): AdmissionRequest {
  return { requestId: id, operation: 'chat', group: 'gpt-4o-mini', candidates: ['oai'], tags, estimatedPromptTokens: 1000, maxCompletionTokens: 500 };
}
