import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RequestSeries } from './request-series.js';

/** The cumulative count of a `switchyard_request_duration_seconds` bucket in the exposition. */
function bucket(text: string, le: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith('switchyard_request_duration_seconds_bucket{') && l.includes(`le="${le}"`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('client request duration', () => {
  it('tells streams of two, five and ten minutes apart, past the GenAI buckets that stop at 81.92 s', async () => {
    const registry = new Registry();
    const series = new RequestSeries(registry);
    const servedBy = { group: 'chat', deployment: 'd1', region: 'eu' };
    for (const seconds of [1, 120, 300, 600]) {
      series.started();
      series.ended('/v1/chat/completions', 200, seconds, servedBy, undefined);
    }
    const text = await registry.metrics();
    expect(bucket(text, '81.92')).toBe(1);
    expect(bucket(text, '163.84')).toBe(2);
    expect(bucket(text, '327.68')).toBe(3);
    expect(bucket(text, '655.36')).toBe(4);
    expect(bucket(text, '+Inf')).toBe(4);
  });
});
