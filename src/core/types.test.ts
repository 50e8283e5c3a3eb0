import { describe, expect, it } from 'vitest';
import { addUsage, makeUsage } from './types.js';

describe('usage records', () => {
  it('keeps one-hour cache writes within cache writes, and leaves them out unless given', () => {
    expect(makeUsage({ prompt: 100, cachedWrite: 50, cachedWrite1h: 80 }).cachedWrite1h).toBe(50);
    expect(makeUsage({ prompt: 100, cachedWrite: 50 })).not.toHaveProperty('cachedWrite1h');
  });

  it('adds the one-hour writes of two attempts when either reported them', () => {
    const first = makeUsage({ prompt: 100, cachedWrite: 60, cachedWrite1h: 60 });
    const second = makeUsage({ prompt: 40, cachedWrite: 10 });
    expect(addUsage(first, second)).toMatchObject({ cachedWrite: 70, cachedWrite1h: 60 });
    expect(addUsage(second, second)).not.toHaveProperty('cachedWrite1h');
  });
});
