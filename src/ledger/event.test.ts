import { describe, expect, it } from 'vitest';
import { eventId, utcDay } from './event.js';
import { attempt } from './testing/fixtures.js';

const iso = (ts: number) => new Date(ts).toISOString().slice(0, 10);

describe('utcDay', () => {
  it('matches the ISO date on both sides of midnight and when time goes back', () => {
    const midnight = Date.parse('2025-06-02T00:00:00Z');
    const times = [midnight - 1, midnight, midnight + 1, midnight - 1, midnight + 86_399_999, midnight + 86_400_000, 0, -1, Date.parse('2024-02-29T23:59:59.999Z'), midnight];
    for (const t of times) expect(utcDay(t)).toBe(iso(t));
  });
});

describe('eventId', () => {
  it('sorts by start time across request ids, so new keys append to the primary-key index', () => {
    const ids = [0, 1, 15, 16, 1_000, Date.parse('2025-06-01T10:00:00Z'), Date.parse('2100-01-01T00:00:00Z')].map((t, i) => eventId(attempt({ startedAt: t, requestId: `${9 - i}-uuid` })));
    expect([...ids].sort()).toEqual(ids);
  });

  it('is the same for a replayed attempt and differs for retries and shadows', () => {
    const a = attempt({ requestId: 'r' });
    expect(eventId({ ...a })).toBe(eventId(a));
    expect(new Set([eventId(a), eventId({ ...a, attempt: 2 }), eventId({ ...a, role: 'shadow' })]).size).toBe(3);
    expect(eventId(a)).toMatch(/^[0-9a-f]{12}:r:1$/);
  });
});
