import { afterEach, describe, expect, it, vi } from 'vitest';
import { millisFromEnv } from './env-millis.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('millisFromEnv', () => {
  it('reads a whole number of milliseconds', () => {
    expect(millisFromEnv({ X: '30000' }, 'X', 5)).toBe(30_000);
  });

  it('falls back when the variable is unset or blank', () => {
    expect(millisFromEnv({}, 'X', 5)).toBe(5);
    expect(millisFromEnv({ X: ' ' }, 'X', 5)).toBe(5);
  });

  it('falls back, and says so on stderr, on a value that is not a duration', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(millisFromEnv({ X: '2s' }, 'X', 5)).toBe(5);
    expect(millisFromEnv({ X: '-1' }, 'X', 5)).toBe(5);
    expect(write).toHaveBeenCalledTimes(2);
    expect(String(write.mock.calls[0]?.[0])).toContain('X must be a whole number of milliseconds');
  });

  it("falls back on a duration Node's timers cannot hold, which would fire after 1 ms", () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(millisFromEnv({ X: '3000000000' }, 'X', 5)).toBe(5);
    expect(millisFromEnv({ X: '2147483647' }, 'X', 5)).toBe(2_147_483_647);
    expect(write).toHaveBeenCalledTimes(1);
  });

  it('falls back on a value below the least the variable takes (an idle deadline of 0 would abort every request at once)', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(millisFromEnv({ X: '0' }, 'X', 5, 1)).toBe(5);
    expect(millisFromEnv({ X: '0' }, 'X', 5)).toBe(0);
    expect(write).toHaveBeenCalledTimes(1);
    expect(String(write.mock.calls[0]?.[0])).toContain('X must be a whole number of milliseconds (1 or more');
  });
});
