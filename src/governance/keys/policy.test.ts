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
