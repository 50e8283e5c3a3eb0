import { describe, expect, it } from 'vitest';
import { CANNOT_START_EXIT } from './port.js';
import { restartPolicy } from './primary.js';

describe("the primary's answer to a worker that crashed", () => {
  it('restarts it up to the most restarts a window allows, then gives up', () => {
    let now = 0;
    const afterCrash = restartPolicy(2, 60_000, () => now);
    expect(afterCrash(1)).toBe('restart');
    now = 10_000;
    expect(afterCrash(null)).toBe('restart');
    now = 20_000;
    expect(afterCrash(1)).toBe('give up');
  });

  it('counts only the restarts of the last window', () => {
    let now = 0;
    const afterCrash = restartPolicy(2, 60_000, () => now);
    afterCrash(1);
    afterCrash(1);
    now = 60_001;
    expect(afterCrash(1)).toBe('restart');
  });

  it('never restarts one that cannot listen: it would fail the same way', () => {
    const afterCrash = restartPolicy(5, 60_000, () => 0);
    expect(afterCrash(CANNOT_START_EXIT)).toBe('cannot start');
  });
});
