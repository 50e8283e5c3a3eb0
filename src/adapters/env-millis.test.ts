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
});
