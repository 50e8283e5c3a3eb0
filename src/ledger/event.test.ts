import { describe, expect, it } from 'vitest';
import { utcDay } from './event.js';

const iso = (ts: number) => new Date(ts).toISOString().slice(0, 10);

describe('utcDay', () => {
  it('matches the ISO date on both sides of midnight and when time goes back', () => {
    const midnight = Date.parse('2025-06-02T00:00:00Z');
    const times = [midnight - 1, midnight, midnight + 1, midnight - 1, midnight + 86_399_999, midnight + 86_400_000, 0, -1, Date.parse('2024-02-29T23:59:59.999Z'), midnight];
    for (const t of times) expect(utcDay(t)).toBe(iso(t));
  });
});
