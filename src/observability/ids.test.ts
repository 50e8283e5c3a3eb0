import { describe, expect, it } from 'vitest';
import { spanId, traceId } from './ids.js';

describe('trace and span ids', () => {
  it('are lowercase hex of the W3C lengths, never all zero', () => {
    for (let i = 0; i < 2_000; i++) {
      expect(spanId()).toMatch(/^[0-9a-f]{16}$/);
      expect(traceId()).toMatch(/^[0-9a-f]{32}$/);
    }
    expect(spanId()).not.toBe('0'.repeat(16));
    expect(traceId()).not.toBe('0'.repeat(32));
  });

  it('are unique across many refills of the pool', () => {
    // 4 KB pool: 50,000 span ids and trace ids take ~290 refills.
    const spans = new Set<string>();
    const traces = new Set<string>();
    for (let i = 0; i < 50_000; i++) {
      spans.add(spanId());
      traces.add(traceId());
    }
    expect(spans.size).toBe(50_000);
    expect(traces.size).toBe(50_000);
  });
});
