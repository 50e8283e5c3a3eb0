import { describe, expect, it } from 'vitest';
import { parseConfig } from './load.js';
import { MAX_TIMER_MS } from './timer.js';

const TOO_LONG = 3_000_000_000;
const WHY = 'must be at most 2147483647 (about 24.8 days, the longest wait Node\'s timers can hold)';

function problemsAt(raw: unknown): Record<string, string> {
  const r = parseConfig(raw, {});
  if (r.ok) throw new Error('expected the config to be invalid');
  return Object.fromEntries(r.problems.map((p) => [p.path, p.message]));
}

// Node fires a setTimeout/setInterval longer than 2^31-1 ms after 1 ms: an idle-connection sweep, a
// ledger flush or a metadata poll would spin, and an export would be aborted before it was sent.
describe('durations timers wait on, outside server and routing', () => {
  it('refuses a provider\'s connection timers past the limit, naming each path', () => {
    const problems = problemsAt({
      deployments: [
        { id: 'a', provider: 'openai-compatible', model: 'm', endpoint: 'http://127.0.0.1:9/v1', keep_alive_timeout_ms: TOO_LONG, connect_timeout_ms: TOO_LONG },
        { id: 'b', provider: 'bedrock', model: 'm', region: 'us-east-1', keep_alive_timeout_ms: TOO_LONG },
        { id: 'c', provider: 'azure-openai', model: 'm', endpoint: 'https://r.openai.azure.com', api_key: 'k', api_version: '2024-10-21', connect_timeout_ms: TOO_LONG },
      ],
    });
    for (const path of ['deployments[0].keep_alive_timeout_ms', 'deployments[0].connect_timeout_ms', 'deployments[1].keep_alive_timeout_ms', 'deployments[2].connect_timeout_ms']) {
      expect(problems[path], path).toBe(WHY);
    }
  });

  it('refuses the tracing export timeout, the ledger\'s flush and retry intervals and the interruption poll past the limit', () => {
    const problems = problemsAt({
      deployments: [{ id: 'a', provider: 'openai-compatible', model: 'm', endpoint: 'http://127.0.0.1:9/v1' }],
      observability: { tracing: { export_timeout_ms: TOO_LONG } },
      ledger: { flush_interval_ms: TOO_LONG, retry_interval_ms: TOO_LONG },
      interruption: { poll_ms: TOO_LONG },
    });
    for (const path of ['observability.tracing.export_timeout_ms', 'ledger.flush_interval_ms', 'ledger.retry_interval_ms', 'interruption.poll_ms']) {
      expect(problems[path], path).toBe(WHY);
    }
  });

  it('takes the longest duration Node\'s timers hold, and a cache TTL beyond it (an expiry time, never a timer)', () => {
    const r = parseConfig(
      {
        deployments: [{ id: 'a', provider: 'openai-compatible', model: 'm', endpoint: 'http://127.0.0.1:9/v1', keep_alive_timeout_ms: MAX_TIMER_MS }],
        ledger: { flush_interval_ms: MAX_TIMER_MS },
        groups: [{ name: 'g', deployments: ['a'], cache: { enabled: true, ttl_ms: 30 * 24 * 3_600_000 } }],
      },
      {},
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect((r.config.deployments[0]?.options as { keep_alive_timeout_ms: number }).keep_alive_timeout_ms).toBe(MAX_TIMER_MS);
    expect(r.config.ledger.flush_interval_ms).toBe(MAX_TIMER_MS);
    expect(r.config.groups[0]?.cache?.ttl_ms).toBe(30 * 24 * 3_600_000);
  });
});
