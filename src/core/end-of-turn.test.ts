import { describe, expect, it } from 'vitest';
import { endOfTurn } from './end-of-turn.js';

describe('endOfTurn', () => {
  it('is one promise for the whole turn, settled in its check phase after the immediates set before it', async () => {
    const seen: string[] = [];
    setImmediate(() => seen.push('earlier immediate'));
    const first = endOfTurn();
    expect(endOfTurn()).toBe(first);
    await first.then(() => seen.push('end of turn'));
    expect(seen).toEqual(['earlier immediate', 'end of turn']);
  });

  it('asked while the held answers go out, waits for the next turn', async () => {
    const seen: string[] = [];
    const first = endOfTurn();
    const next = await first.then(() => {
      // Set in this check phase: it runs in the next one, before the next end of turn's.
      setImmediate(() => seen.push('immediate of the next turn'));
      return { turn: endOfTurn() };
    });
    expect(next.turn).not.toBe(first);
    await next.turn.then(() => seen.push('next end of turn'));
    expect(seen).toEqual(['immediate of the next turn', 'next end of turn']);
  });
});
