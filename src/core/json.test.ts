import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from './json.js';

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
});
