import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import { MAX_JSON_DEPTH, nestsDeeperThan, parseJson } from './body.js';

const nest = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('JSON nesting depth', () => {
  it('counts arrays and objects, up to and past the limit', () => {
    expect(nestsDeeperThan(Buffer.from(nest(64)), 64)).toBe(false);
    expect(nestsDeeperThan(Buffer.from(nest(65)), 64)).toBe(true);
    expect(nestsDeeperThan(Buffer.from('{"a":{"b":[{"c":1}]}}'), 3)).toBe(true);
    expect(nestsDeeperThan(Buffer.from('{"a":{"b":[{"c":1}]}}'), 4)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(nestsDeeperThan(Buffer.from(JSON.stringify({ a: `[[[{{{"\\"[[[` })), 1)).toBe(false);
    expect(nestsDeeperThan(Buffer.from(JSON.stringify({ a: 'ends in a backslash \\', b: [[1]] })), 2)).toBe(true);
  });

  it('refuses a body nested deeper than the cap with a 400 before parsing it', () => {
    const err = (() => {
      try {
        parseJson(Buffer.from(`{"model":"m","messages":${nest(100_000)}}`));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(GatewayError.isInstance(err) && err.status === 400 && err.code === 'invalid_json').toBe(true);
    expect((err as Error).message).toContain(String(MAX_JSON_DEPTH));
    expect(parseJson(Buffer.from(nest(MAX_JSON_DEPTH)))).toBeInstanceOf(Array);
  });
});
