import { describe, expect, it } from 'vitest';
import { withoutObfuscation } from './obfuscation.js';

describe('withoutObfuscation', () => {
  it('drops the obfuscation member that closes a chunk, whatever its length', () => {
    expect(withoutObfuscation('{"choices":[],"obfuscation":"Zq81"}')).toBe('{"choices":[]}');
    expect(withoutObfuscation('{"choices":[],"obfuscation":""}')).toBe('{"choices":[]}');
  });

  it('leaves a chunk alone unless that member is last and its value one plain string', () => {
    for (const chunk of [
      '{"choices":[]}',
      '{"obfuscation":"Zq81","choices":[]}',
      '{"choices":[{"obfuscation":"x"}]}',
      '{"choices":[],"obfuscation":"a\\"b"}',
      '{"choices":[],"obfuscation":"a\\u0041"}',
      '{"choices":[],"obfuscation":"a\nb"}',
      '{"choices":[],"obfuscation":null}',
    ]) {
      expect(withoutObfuscation(chunk)).toBe(chunk);
    }
  });
});
