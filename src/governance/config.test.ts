import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { freeTags } from './config.js';

const deployment = { id: 'a', provider: 'openai-compatible', model: 'm', endpoint: 'http://127.0.0.1:9/v1' };

function problemsOf(raw: unknown): string[] {
  const r = parseConfig(raw, {});
  if (r.ok) throw new Error('expected the config to be invalid');
  return r.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('config api_keys[].tags, bounded as a virtual key\'s are', () => {
  it('names the exact path of a value too long, one with a control character, a bad name and too many tags', () => {
    expect(
      problemsOf({
        deployments: [deployment],
        api_keys: [
          { id: 'k0', key: 'sk-0', tags: { project: 'P'.repeat(300), app: 'a\u001b[31m', 'cost center': 'cc' } },
          { id: 'k1', key: 'sk-1', tags: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`t${i}`, 'x'])) },
        ],
      }),
    ).toEqual([
      'api_keys[0].tags.project: a tag value is at most 256 characters (this has 300): every ledger row of the key copies it',
      'api_keys[0].tags.app: a tag value must not hold control characters (U+001B at 1): reports, spreadsheets and terminals show it',
      'api_keys[0].tags.cost center: "cost center" is no tag name: use at most 64 letters, digits, _ . - (what reports\' tag:NAME, budgets and rate limits take)',
      'api_keys[1].tags: at most 32 tags (this has 33): every ledger row of the key copies them all',
    ]);
  });

  it('says both problems of a value too long and holding a control character, for a tag, a key\'s team and a match value alike', () => {
    const value = `${'v'.repeat(299)}\n`;
    const long = 'a tag value is at most 256 characters (this has 300): every ledger row of the key copies it';
    const control = 'a tag value must not hold control characters (U+000A at 299): reports, spreadsheets and terminals show it';
    expect(
      problemsOf({
        deployments: [deployment],
        api_keys: [{ id: 'k0', key: 'sk-0', team: value, tags: { project: value } }],
        budgets: { limits: [{ name: 'b', period: 'daily', hard_usd: 1, match: { project: value } }] },
      }),
    ).toEqual([
      `api_keys[0].team: it is the key's team tag, and ${long}`,
      `api_keys[0].team: it is the key's team tag, and ${control}`,
      `api_keys[0].tags.project: ${long}`,
      `api_keys[0].tags.project: ${control}`,
      `budgets.limits[0].match.project: a match value can only equal a tag value, and ${long}`,
      `budgets.limits[0].match.project: a match value can only equal a tag value, and ${control}`,
    ]);
  });

  it('takes the documented example', () => {
    expect(parseConfig({ deployments: [deployment], api_keys: [{ id: 'search-team-key', key: 'sk-x', team: 'search', tags: { cost_center: 'cc-42' } }] }, {}).ok).toBe(true);
  });
});

describe('the tags a virtual key stored before the limits is served with', () => {
  it('cuts values to 256 characters, leaves out names nothing can select and tags past 32, and says what it did', () => {
    const stored: Record<string, string> = { project: 'P'.repeat(1_000_000), 'cost center': 'x', ['n'.repeat(65)]: 'x', team: 'red' };
    for (let i = 0; i < 40; i += 1) stored[`t${i}`] = String(i);
    const served = freeTags(stored);
    expect(served.free.project).toBe('P'.repeat(256));
    expect(Object.keys(served.free)).toHaveLength(32);
    expect(served.free.t30).toBe('30');
    expect(served.free.t31).toBeUndefined();
    expect(served).toMatchObject({ dropped: ['team'], cut: ['project'], leftOut: 2 + 9 });
  });

  it('never cuts between the halves of a surrogate pair', () => {
    const value = `${'x'.repeat(255)}🚀🚀`;
    expect(freeTags({ project: value }).free.project).toBe('x'.repeat(255));
  });

  it('serves tags within the limits as stored', () => {
    expect(freeTags({ project: 'x', app: 'café' })).toEqual({ free: { project: 'x', app: 'café' }, dropped: [], cut: [], leftOut: 0 });
  });
});
