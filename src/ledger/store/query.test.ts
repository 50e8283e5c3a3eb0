import { describe, expect, it } from 'vitest';
import { parseTime, QueryTextError } from './query.js';

const refusal = (text: string): string => {
  try {
    parseTime(text);
  } catch (err) {
    if (err instanceof QueryTextError) return err.unquoted;
    throw err;
  }
  return `accepted as ${new Date(parseTime(text)).toISOString()}`;
};

describe('parseTime (report --from/--to, GET /v1/switchyard/usage?from=&to=)', () => {
  it('takes YYYY-MM-DD as UTC midnight, the end of that day for an inclusive --to', () => {
    expect(parseTime('2025-06-01')).toBe(Date.parse('2025-06-01T00:00:00Z'));
    expect(parseTime('2025-06-01', true)).toBe(Date.parse('2025-06-02T00:00:00Z'));
    expect(parseTime('2024-02-29')).toBe(Date.parse('2024-02-29T00:00:00Z'));
  });

  it('reads a year below 100 as written, not as 19xx (0001-01-01 is a day)', () => {
    expect(new Date(parseTime('0001-01-01')).toISOString()).toBe('0001-01-01T00:00:00.000Z');
    expect(new Date(parseTime('0099-12-31', true)).toISOString()).toBe('0100-01-01T00:00:00.000Z');
    expect(new Date(parseTime('0050-06-01T12:30:00+02:00')).toISOString()).toBe('0050-06-01T10:30:00.000Z');
    expect(refusal('0001-02-29')).toMatch(/^no such day or time/);
  });

  it('takes ISO 8601 times with Z or an offset, to the millisecond', () => {
    expect(parseTime('2025-06-01T12:30:00Z')).toBe(Date.parse('2025-06-01T12:30:00Z'));
    expect(parseTime('2025-06-01T12:30Z', true)).toBe(Date.parse('2025-06-01T12:30:00Z'));
    expect(parseTime('2025-06-01T12:30:15.250Z')).toBe(Date.parse('2025-06-01T12:30:15.250Z'));
    expect(parseTime('2025-06-01T12:30:00+02:00')).toBe(Date.parse('2025-06-01T10:30:00Z'));
    expect(parseTime('2025-06-01T12:30:00-0530')).toBe(Date.parse('2025-06-01T18:00:00Z'));
  });

  it('refuses what Date.parse would have guessed at: a day that does not exist, a bare number, words, a time without its offset', () => {
    const noSuch = 'no such day or time; expected YYYY-MM-DD or an ISO 8601 time with Z or an offset (2025-06-01T12:00:00Z)';
    const notADate = 'not a date; expected YYYY-MM-DD or an ISO 8601 time with Z or an offset (2025-06-01T12:00:00Z)';
    for (const text of ['2025-02-30', '2025-02-29', '2025-13-01', '2025-04-31', '2025-06-01T24:00:00Z', '2025-06-01T12:60:00Z', '2025-06-01T12:00:00+24:00']) {
      expect(refusal(text), text).toBe(noSuch);
    }
    for (const text of ['5', 'June 1', '2025-6-1', '2025/06/01', 'yesterday', '2025-06-01T12:00:00', '2025-06-01 12:00:00Z', ' 2025-06-01', '']) {
      expect(refusal(text), text).toBe(notADate);
    }
  });

  it('quotes the text only in the message meant for the CLI, never in the one an HTTP answer carries', () => {
    const err = (() => {
      try {
        parseTime('2025-02-30');
      } catch (e) {
        return e as QueryTextError;
      }
      throw new Error('accepted');
    })();
    expect(err.message).toBe('invalid date "2025-02-30": no such day or time; expected YYYY-MM-DD or an ISO 8601 time with Z or an offset (2025-06-01T12:00:00Z)');
    expect(err.unquoted).not.toContain('2025-02-30');
  });
});
