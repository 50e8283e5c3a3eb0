import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPrompts, PromptsUnreadable } from './prompts.js';

const dir = mkdtempSync(join(tmpdir(), 'prompts-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('a prompt set file', () => {
  it('is read as YAML', () => {
    expect(loadPrompts(file('ok.yaml', 'prompts:\n  - { name: a, user: Hi }\n'))).toMatchObject([{ name: 'a', user: 'Hi', json: false, max_tokens: 256 }]);
  });

  it("has its problems named in the config's words, each at its path", () => {
    const typo = file('typo.yaml', 'prompts:\n  - { name: a, usr: Hi }\n');
    expect(() => loadPrompts(typo)).toThrow(`${typo}: invalid prompt set\n  prompts[0].user: required: a string\n  prompts[0]: unknown key "usr"; did you mean "user"?`);
  });

  it('that is not YAML is named with its line, and one that cannot be read says why, apart', () => {
    const broken = file('broken.yaml', 'prompts: [\n');
    expect(() => loadPrompts(broken)).toThrow(new RegExp(`^${broken}: not valid YAML: .* at line 2, column 1$`));
    const missing = join(dir, 'missing.yaml');
    expect(() => loadPrompts(missing)).toThrow(new PromptsUnreadable(`cannot read ${missing}: no such file`));
  });
});
