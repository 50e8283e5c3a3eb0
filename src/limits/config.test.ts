import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';

const deployment = { id: 'a', provider: 'openai-compatible', model: 'm', endpoint: 'http://127.0.0.1:9/v1' };
const rule = (match: Record<string, string>) => ({ name: 'r', requests_per_minute: 60, match });
const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`t${i}`, 'x']));

function problemsOf(raw: Record<string, unknown>): string[] {
  const r = parseConfig({ deployments: [deployment], ...raw }, {});
  if (r.ok) throw new Error('expected the config to be invalid');
  return r.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('rate_limits[].match', () => {
  it('bounds its values as key tag values are bounded (at most 256 characters, no control characters), by path', () => {
    expect(problemsOf({ rate_limits: [rule({ user: 'u'.repeat(300), team: 'a\u202eb' })] })).toEqual([
      'rate_limits[0].match.user: a match value can only equal a tag value, and a tag value is at most 256 characters (this has 300): every ledger row of the key copies it',
      'rate_limits[0].match.team: a match value can only equal a tag value, and a tag value must not hold control characters (U+202E at 1): reports, spreadsheets and terminals show it',
    ]);
  });

  it('refuses more than 32 tags to match with one problem, and takes 32 and values of 256 characters', () => {
    expect(problemsOf({ rate_limits: [rule(tags(33))] })).toEqual(['rate_limits[0].match: at most 32 tags to match (this has 33), as a key has at most 32 tags']);
    const r = parseConfig({ deployments: [deployment], rate_limits: [rule({ ...tags(31), user: 'u'.repeat(256) })] }, {});
    expect(r.ok && r.config.rate_limits[0]?.match.user).toBe('u'.repeat(256));
  });
});
