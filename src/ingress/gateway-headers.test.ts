import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import type { ServedBy } from '../gateway/gateway.js';
import { servedHeaders } from './gateway-headers.js';

setFlagsFromString('--allow-natives-syntax');
/** V8's own answer: do two objects share a hidden class (map)? */
const sameHiddenClass = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;

describe('servedHeaders', () => {
  const served = (n: number): ServedBy => ({ deployment: 'd', provider: 'openai', model: 'm', region: undefined, group: undefined, attempts: 1, requestId: `r${n}` });

  it("puts admission's headers first, then who served the answer", () => {
    const h = servedHeaders(served(1), { 'x-ratelimit-remaining-requests': '9' }, 'miss');
    expect(Object.keys(h)).toEqual(['x-ratelimit-remaining-requests', 'x-switchyard-deployment', 'x-switchyard-provider', 'x-switchyard-attempts', 'x-request-id', 'x-switchyard-cache']);
  });

  it('gives every answer\'s headers one hidden class, with admission headers too (no per-request shape)', () => {
    for (const admission of [undefined, { 'x-ratelimit-remaining-requests': '9' }]) {
      // A key added after a spread gets a hidden class of its own per object once V8's inline cache warms up.
      const made = Array.from({ length: 50 }, (_, n) => servedHeaders(served(n), admission && { ...admission }));
      expect(sameHiddenClass(made[48] as object, made[49] as object)).toBe(true);
    }
  });
});
