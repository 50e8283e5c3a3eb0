import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';

const base = { id: 'd', provider: 'openai-compatible', model: 'm', endpoint: 'http://127.0.0.1:9/v1' };

describe('routing config', () => {
  it('accepts deployment routing fields and fills routing defaults', () => {
    const parsed = parseConfig(
      {
        deployments: [{ ...base, capabilities: ['tools', 'vision'], context_window: 128_000, provisioned: { monthly_usd: 9_000, max_concurrency: 8, kind: 'azure-ptu' } }],
        groups: [{ name: 'g', strategy: 'least-latency', deployments: ['d'], shadow: { share: 0.1 }, fallbacks: { content_filtered: ['d'] } }],
      },
      {},
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.config.deployments[0]).toMatchObject({ capabilities: ['tools', 'vision'], context_window: 128_000, provisioned: { max_concurrency: 8 } });
    expect(parsed.config.routing).toMatchObject({ deadline_ms: 120_000, breaker: { consecutive_failures: 5 }, health: { enabled: false }, retry_budget: { ratio: 0.2 } });
    expect(parsed.config.groups[0]).toMatchObject({ exploration: 0.1, fallbacks: { context_window_exceeded: [], content_filtered: ['d'] } });
  });

  it('turns stream extensions on for a stream_resume group unless it says otherwise', () => {
    const parsed = parseConfig(
      {
        deployments: [base],
        groups: [
          { name: 'plain', deployments: ['d'] },
          { name: 'resume', deployments: ['d'], stream_resume: true },
          { name: 'quiet', deployments: ['d'], stream_resume: true, stream_extensions: false },
        ],
      },
      {},
    );
    expect(parsed.ok && parsed.config.groups.map((g) => [g.stream_resume, g.stream_extensions])).toEqual([
      [false, false],
      [true, true],
      [true, false],
    ]);
  });

  it('names the path of a bad routing field', () => {
    const parsed = parseConfig(
      {
        deployments: [{ ...base, capabilities: ['telepathy'], provisioned: { monthly_usd: 1 } }],
        groups: [{ name: 'g', strategy: 'fastest', deployments: ['d'] }],
        routing: { breaker: { error_rate: 2 } },
      },
      {},
    );
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    const paths = parsed.problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['deployments[0].capabilities[0]', 'deployments[0].provisioned', 'groups[0].strategy', 'routing.breaker.error_rate']));
  });

  it('gives every deployment routing.media_urls (public unless set) unless it sets its own', () => {
    const deployments = [base, { ...base, id: 'e', media_urls: 'any' }, { ...base, id: 'f', media_urls: 'none' }];
    const byDefault = parseConfig({ deployments }, {});
    expect(byDefault.ok && byDefault.config.deployments.map((d) => d.media_urls)).toEqual(['public', 'any', 'none']);
    const strict = parseConfig({ deployments, routing: { media_urls: 'none' } }, {});
    expect(strict.ok && strict.config.deployments.map((d) => d.media_urls)).toEqual(['none', 'any', 'none']);
  });

  it('refuses a media_urls value that is not a policy, naming its path and the choices', () => {
    const parsed = parseConfig({ deployments: [{ ...base, media_urls: 'private' }], routing: { media_urls: true } }, {});
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    const problems = Object.fromEntries(parsed.problems.map((p) => [p.path, p.message]));
    expect(problems['deployments[0].media_urls']).toMatch(/public.*any.*none/);
    expect(problems['routing.media_urls']).toMatch(/public.*any.*none/);
  });

  // Node sets a longer timer to 1 ms: an operator's "practically never" would time out every request.
  it('refuses a duration Node\'s timers cannot hold, naming its path and the limit', () => {
    const tooLong = 3_000_000_000;
    const parsed = parseConfig(
      {
        deployments: [base],
        server: { body_timeout_ms: tooLong },
        routing: { attempt_timeout_ms: tooLong, deadline_ms: tooLong, ttft_timeout_ms: tooLong, health: { interval_ms: tooLong }, backoff: { max_retry_after_ms: tooLong } },
      },
      {},
    );
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    const problems = Object.fromEntries(parsed.problems.map((p) => [p.path, p.message]));
    for (const path of ['server.body_timeout_ms', 'routing.attempt_timeout_ms', 'routing.deadline_ms', 'routing.ttft_timeout_ms', 'routing.health.interval_ms', 'routing.backoff.max_retry_after_ms']) {
      expect(problems[path]).toBe('must be at most 2147483647 (about 24.8 days, the longest wait Node\'s timers can hold)');
    }
  });

  it('takes the longest duration Node\'s timers hold', () => {
    const parsed = parseConfig({ deployments: [base], routing: { attempt_timeout_ms: 2_147_483_647, deadline_ms: 2_147_483_647 } }, {});
    expect(parsed.ok && parsed.config.routing.deadline_ms).toBe(2_147_483_647);
  });

  it('refuses weights on a group that is not weighted and exploration on one that is not least-latency, naming the fix', () => {
    const parsed = parseConfig(
      {
        deployments: [base, { ...base, id: 'e' }],
        groups: [
          { name: 'split', deployments: [{ id: 'd', weight: 3 }, 'e'] },
          { name: 'rr', strategy: 'round-robin', exploration: 0.2, deployments: ['d', 'e'] },
        ],
      },
      {},
    );
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems).toEqual([
      { path: 'groups[0].deployments[0].weight', message: "only the weighted strategy reads weights; this group's strategy is priority (remove weight, or set strategy: weighted)" },
      { path: 'groups[1].exploration', message: "only the least-latency strategy explores; this group's strategy is round-robin (remove exploration, or set strategy: least-latency)" },
    ]);
  });

  // A price on a group that never reads it was, before, a price every cost-optimized group used too.
  it('refuses a price on a group that is not cost-optimized, naming the fix', () => {
    const parsed = parseConfig({ deployments: [base, { ...base, id: 'e' }], groups: [{ name: 'chat', deployments: ['d', { id: 'e', price: 0.1 }] }] }, {});
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems).toEqual([
      { path: 'groups[0].deployments[1].price', message: "only the cost-optimized strategy reads prices; this group's strategy is priority (remove price, or set strategy: cost-optimized)" },
    ]);
  });

  it('takes weights on a weighted group and exploration on a least-latency one', () => {
    const parsed = parseConfig(
      {
        deployments: [base, { ...base, id: 'e' }],
        groups: [
          { name: 'split', strategy: 'weighted', deployments: [{ id: 'd', weight: 3 }, 'e'] },
          { name: 'fast', strategy: 'least-latency', exploration: 0.2, deployments: ['d', 'e'] },
        ],
      },
      {},
    );
    expect(parsed.ok && parsed.config.groups.map((g) => g.exploration)).toEqual([undefined, 0.2]);
  });

  it('gives exploration its default only on least-latency groups, so a parsed config parses again', () => {
    const raw = { deployments: [base, { ...base, id: 'e' }], groups: [{ name: 'first', deployments: ['d', 'e'] }, { name: 'fast', strategy: 'least-latency', deployments: ['d', 'e'] }] };
    const parsed = parseConfig(raw, {});
    expect(parsed.ok && parsed.config.groups.map((g) => g.exploration)).toEqual([undefined, 0.1]);
    expect(parsed.ok && parseConfig({ ...raw, groups: parsed.config.groups }, {}).ok).toBe(true);
  });
});
