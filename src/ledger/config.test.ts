import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';

const deployment = { id: 'a', provider: 'openai-compatible', model: 'm', endpoint: 'http://127.0.0.1:9/v1' };
const budget = (match: Record<string, string>) => ({ name: 'b', period: 'daily', hard_usd: 10, match });
const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`t${i}`, 'x']));

function problemsOf(raw: Record<string, unknown>): string[] {
  const r = parseConfig({ deployments: [deployment], ...raw }, {});
  if (r.ok) throw new Error('expected the config to be invalid');
  return r.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('budgets.limits[].match', () => {
  it('bounds its values as key tag values are bounded (at most 256 characters, no control characters), by path', () => {
    expect(problemsOf({ budgets: { limits: [budget({ team: 's'.repeat(257), project: 'a\nb' })] } })).toEqual([
      'budgets.limits[0].match.team: a match value can only equal a tag value, and a tag value is at most 256 characters (this has 257): every ledger row of the key copies it',
      'budgets.limits[0].match.project: a match value can only equal a tag value, and a tag value must not hold control characters (U+000A at 1): reports, spreadsheets and terminals show it',
    ]);
  });

  it('refuses more than 32 tags to match with one problem, and takes 32 and values of 256 characters', () => {
    expect(problemsOf({ budgets: { limits: [budget({ ...tags(1_000) })] } })).toEqual(['budgets.limits[0].match: at most 32 tags to match (this has 1000), as a key has at most 32 tags']);
    const r = parseConfig({ deployments: [deployment], budgets: { limits: [budget({ ...tags(31), team: 's'.repeat(256) })] } }, {});
    expect(r.ok && r.config.budgets.limits[0]?.match.team).toBe('s'.repeat(256));
  });
});
