import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { AttemptSeries } from './attempt-series.js';
import { RequestSeries } from './request-series.js';
import { attempt } from '../ledger/testing/fixtures.js';

/** The cumulative count of a `switchyard_request_duration_seconds` bucket in the exposition. */
function bucket(text: string, le: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith('switchyard_request_duration_seconds_bucket{') && l.includes(`le="${le}"`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Prometheus' `histogram_quantile(q, …)` over one series' buckets of a text exposition. */
function histogramQuantile(text: string, metric: string, q: number): number {
  const buckets = [...text.matchAll(new RegExp(`^${metric}_bucket\\{[^}]*le="([^"]+)"[^}]*\\} (\\S+)$`, 'gm'))].map((m) => ({ le: m[1] === '+Inf' ? Infinity : Number(m[1]), count: Number(m[2]) }));
  const total = buckets.at(-1)?.count ?? 0;
  const rank = q * total;
  const i = buckets.findIndex((b) => b.count >= rank);
  const b = buckets[i] as { le: number; count: number };
  const below = buckets[i - 1] ?? { le: 0, count: 0 };
  if (b.le === Infinity) return below.le;
  return below.le + ((b.le - below.le) * (rank - below.count)) / (b.count - below.count);
}

const servedBy = { group: 'chat', deployment: 'd1', region: 'eu' };

/** 200 samples of `seconds`, and 200 spread evenly over ±5% of it. */
const sampleSets = (seconds: number): Array<{ name: string; samples: number[] }> => [
  { name: `all ${seconds} s`, samples: Array.from({ length: 200 }, () => seconds) },
  { name: `${seconds} s ± 5 %`, samples: Array.from({ length: 200 }, (_, i) => seconds * (0.95 + (0.1 * i) / 199)) },
];

/** The 95th percentile of the samples themselves (nearest rank). */
const trueP95 = (samples: number[]): number => [...samples].sort((a, b) => a - b)[Math.ceil(0.95 * samples.length) - 1] as number;

describe('client request duration', () => {
  it('tells streams of two, five and ten minutes apart, past the GenAI buckets that stop at 81.92 s', async () => {
    const registry = new Registry();
    const series = new RequestSeries(registry);
    for (const seconds of [1, 120, 300, 600]) {
      series.started();
      series.ended('/v1/chat/completions', 200, seconds, servedBy, undefined);
    }
    const text = await registry.metrics();
    expect(bucket(text, '90')).toBe(1);
    expect(bucket(text, '180')).toBe(2);
    expect(bucket(text, '300')).toBe(3);
    expect(bucket(text, '600')).toBe(4);
    expect(bucket(text, '+Inf')).toBe(4);
  });
});

describe('latency buckets', () => {
  it.each(sampleSets(6))("read a p95 of answers, attempts and first tokens within 25 % of the samples' own: $name", async ({ samples }) => {
    const registry = new Registry();
    const requests = new RequestSeries(registry);
    const attempts = new AttemptSeries(registry, new Map(), undefined);
    for (const seconds of samples) {
      requests.started();
      requests.ended('/v1/chat/completions', 200, seconds, servedBy, undefined, true);
      requests.firstContent({ ...servedBy, provider: 'openai-compatible', model: 'm' }, seconds);
      attempts.record(attempt({ deployment: 'd1', latencyMs: seconds * 1000, ttftMs: 100 }));
    }
    const text = await registry.metrics();
    const p95 = trueP95(samples);
    // gen_ai_server_time_to_first_token keeps the conventions' buckets (…, 5, 7.5, 10), which hold this too.
    for (const metric of ['switchyard_request_duration_seconds', 'switchyard_attempt_duration_seconds', 'gen_ai_server_time_to_first_token_seconds']) {
      expect(Math.abs(histogramQuantile(text, metric, 0.95) / p95 - 1), metric).toBeLessThan(0.25);
    }
  });
});
