import { describe, expect, it } from 'vitest';
import { cpuLimit } from './cpu.js';

describe('cpuLimit (the default number of workers)', () => {
  it('rounds the cgroup v2 quota up to whole cores', () => {
    expect(cpuLimit(() => '150000 100000\n', 8)).toBe(2);
    expect(cpuLimit(() => '400000 100000', 8)).toBe(4);
  });

  it('never exceeds the cores Node sees, nor goes below one', () => {
    expect(cpuLimit(() => '800000 100000', 2)).toBe(2);
    expect(cpuLimit(() => '10000 100000', 4)).toBe(1);
  });

  it('uses every core when the limit is "max", missing or unreadable', () => {
    expect(cpuLimit(() => 'max 100000', 6)).toBe(6);
    expect(cpuLimit(() => undefined, 3)).toBe(3);
    expect(cpuLimit(() => 'garbage', 3)).toBe(3);
  });
});
