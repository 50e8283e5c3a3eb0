import { describe, expect, it } from 'vitest';
import { KeyPolicyError, parseKeyPolicy } from './policy.js';

describe('a virtual key policy', () => {
  it('keeps free-form tags for attribution', () => {
    expect(parseKeyPolicy({ team: 'red', tags: { project: 'x' } })).toMatchObject({ team: 'red', tags: { project: 'x' } });
  });

  it('refuses a tag without a name, saying so', () => {
    expect(() => parseKeyPolicy({ tags: { '': 'x' } })).toThrow(expect.objectContaining({ field: 'tags.', problem: 'a tag needs a name: give it one, or leave the tag out' }));
  });

  it.each([
    ['team', "set the key's team with its own `team` field, not a tag"],
    ['user', "set the key's user with its own field, not a tag"],
    ['key', "the key tag is the key's id, set by the gateway"],
    ['ingress', 'the ingress tag is the front door a request came through, set by the gateway'],
  ])('refuses a tag named %s, which would join a team or stand for another identity', (name, why) => {
    const refused = (() => {
      try {
        parseKeyPolicy({ tags: { [name]: 'red' } });
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(refused).toBeInstanceOf(KeyPolicyError);
    expect(refused).toMatchObject({ field: `tags.${name}`, problem: `"${name}" is not a free tag: ${why}`, status: 400 });
  });
});

describe('a virtual key\'s budgets', () => {
  it('refuses a soft limit above the hard limit, naming soft_usd, and takes one at or below it', () => {
    expect(() => parseKeyPolicy({ budgets: [{ period: 'daily', soft_usd: 5, hard_usd: 1 }] })).toThrow(expect.objectContaining({ status: 400, param: 'budgets.0.soft_usd', problem: 'must not be above hard_usd: a soft limit warns on the way to the hard one' }));
    expect(parseKeyPolicy({ budgets: [{ period: 'daily', soft_usd: 1, hard_usd: 1 }, { period: 'monthly', soft_usd: 5 }] }).budgets).toHaveLength(2);
  });
});

describe('a virtual key policy, bounded: every ledger row of the key copies its tags', () => {
  const refusal = (input: unknown): KeyPolicyError | undefined => {
    try {
      parseKeyPolicy(input);
    } catch (err) {
      return err as KeyPolicyError;
    }
    return undefined;
  };

  it('takes 32 tags of 64-character names and 256-character values, and metadata of 8192 bytes as JSON', () => {
    const tags = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`${'n'.repeat(62)}${String(i).padStart(2, '0')}`, 'v'.repeat(256)]));
    // {"m":"..."} is 8 bytes besides the value.
    const metadata = { m: 'x'.repeat(8192 - 8) };
    expect(parseKeyPolicy({ tags, metadata })).toMatchObject({ tags, metadata });
  });

  it('refuses a 1,000,000-character tag value naming its parameter, without quoting it back', () => {
    const refused = refusal({ owner: 'big', tags: { project: 'P'.repeat(1_000_000) } });
    expect(refused).toMatchObject({ status: 400, param: 'tags.project', code: 'invalid_key_policy', problem: 'a tag value is at most 256 characters (this has 1000000): every ledger row of the key copies it' });
    expect(refused?.message.length).toBeLessThan(200);
  });

  it('refuses a 33rd tag at tags, as one problem however many there are', () => {
    const tags = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`t${i}`, 'x']));
    expect(refusal({ tags })).toMatchObject({ param: 'tags', problem: 'at most 32 tags (this has 100000): every ledger row of the key copies them all' });
    expect(refusal({ tags: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`t${i}`, 'x'])) })).toMatchObject({ param: 'tags' });
  });

  it('refuses a tag name reports, budgets and rate limits could not name, at its own path when it is short and printable', () => {
    expect(refusal({ tags: { 'cost center': 'x' } })).toMatchObject({
      param: 'tags.cost center',
      problem: '"cost center" is no tag name: use at most 64 letters, digits, _ . - (what reports\' tag:NAME, budgets and rate limits take)',
    });
    // A long or unprintable name is no path to print: the problem is at `tags`, the name shortened and escaped.
    const long = refusal({ tags: { ['n'.repeat(65_000)]: 'x' } });
    expect(long).toMatchObject({ param: 'tags', problem: `the tag name "${'n'.repeat(32)}"... (65000 characters) is longer than 64 characters: use at most 64 letters, digits, _ . - (what reports' tag:NAME, budgets and rate limits take)` });
    expect(refusal({ tags: { 'a\u001b[2Jb': 'x' } })).toMatchObject({ param: 'tags', problem: expect.stringMatching(/^"a\\u001b\[2Jb" is no tag name/) });
  });

  it.each([
    ['an escape sequence', '\u001b[31mRED', 'U+001B at 0'],
    ['a line feed', 'a\nforged line', 'U+000A at 1'],
    ['DEL', 'a\u007f', 'U+007F at 1'],
    ['a C1 control', 'a\u009b31m', 'U+009B at 1'],
    ['a right-to-left override', 'gpj.\u202eexe', 'U+202E at 4'],
  ])('refuses a tag value holding %s, which a terminal or spreadsheet would act on', (_what, value, where) => {
    expect(refusal({ tags: { project: value } })).toMatchObject({ param: 'tags.project', problem: `a tag value must not hold control characters (${where}): reports, spreadsheets and terminals show it` });
  });

  it.each([
    ['team', 'team', '\u001b[2Jred', 'U+001B at 0'],
    ['team', 'team', 'red\r\nforged line', 'U+000D at 3'],
    ['owner', 'user', 'ana\u202eadmin', 'U+202E at 3'],
    ['owner', 'user', 'ana\u0085', 'U+0085 at 3'],
  ])('refuses control characters in %s (%#): it is every request\'s %s tag', (field, tag, value, where) => {
    expect(refusal({ [field]: value })).toMatchObject({
      status: 400,
      param: field,
      code: 'invalid_key_policy',
      problem: `it is the key's ${tag} tag, and a tag value must not hold control characters (${where}): reports, spreadsheets and terminals show it`,
    });
  });

  it('keeps a team and owner of any script, up to 200 characters', () => {
    expect(parseKeyPolicy({ team: 'Équipe 東京 🚀', owner: 'Ana Müller (ana@example.com)' })).toMatchObject({ team: 'Équipe 東京 🚀', owner: 'Ana Müller (ana@example.com)' });
    expect(parseKeyPolicy({ team: 't'.repeat(200) }).team).toBe('t'.repeat(200));
    expect(refusal({ team: 't'.repeat(201) })).toMatchObject({ param: 'team' });
  });

  it('keeps tag values of any script: only controls are refused', () => {
    expect(parseKeyPolicy({ tags: { project: 'café 東京 🚀', cost_center: 'cc-42' } }).tags).toEqual({ project: 'café 東京 🚀', cost_center: 'cc-42' });
  });

  it('refuses metadata past 8192 bytes as JSON, counting UTF-8 bytes', () => {
    expect(refusal({ metadata: { m: 'x'.repeat(8192 - 7) } })).toMatchObject({ param: 'metadata', problem: 'at most 8192 bytes as JSON (this is 8193): keep longer documents elsewhere and put their link here' });
    // 2,729 three-byte characters: 8,195 bytes, though 2,737 characters of JSON.
    expect(refusal({ metadata: { n: '東'.repeat(2729) } })).toMatchObject({ param: 'metadata' });
  });
});
