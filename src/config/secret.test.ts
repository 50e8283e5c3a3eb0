import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-secret-'));
const deployment = { id: 'a', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1' };

function problemsOf(raw: unknown, env: Record<string, string> = {}): string[] {
  const r = parseConfig(raw, env);
  if (r.ok) throw new Error('expected the config to be invalid');
  return r.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('secret values', () => {
  it('refuses a secret file that is empty, or holds only a newline, at the key\'s path', () => {
    for (const [name, bytes] of [['empty', ''], ['newline', '\n'], ['crlf', '\r\n']] as const) {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      expect(problemsOf({ deployments: [{ ...deployment, api_key: `file:${file}` }] })).toEqual([`deployments[0].api_key: secret file ${file} is empty (a trailing newline aside)`]);
    }
  });

  it('says in words why a secret file cannot be read, as for the config file, never with an errno code', () => {
    const folder = join(dir, 'a-folder');
    mkdirSync(folder, { recursive: true });
    const aFile = join(dir, 'not-a-folder');
    writeFileSync(aFile, 'sk-not-to-be-quoted');
    for (const [path, why] of [
      [join(dir, 'missing'), 'no such file'],
      [folder, 'it is a directory, not a file'],
      [join(aFile, 'key'), 'a part of its path is a file, not a directory'],
    ] as const) {
      const problems = problemsOf({ deployments: [{ ...deployment, api_key: `file:${path}` }] });
      expect(problems).toEqual([`deployments[0].api_key: cannot read secret file ${path}: ${why}`]);
      expect(problems.join('\n')).not.toMatch(/ENOENT|EISDIR|ENOTDIR|sk-not-to-be-quoted/);
    }
  });

  it('refuses an API key holding a line break, written or from a variable, without printing it', () => {
    const problems = problemsOf(
      { deployments: [{ ...deployment, api_key: 'abcsecret\ndef' }], api_keys: [{ id: 'k', key: '${CLIENT_KEY}' }] },
      { CLIENT_KEY: 'clientsecret\r\nx-injected: 1' },
    );
    expect(problems).toEqual([
      expect.stringMatching(/^api_keys\[0\]\.key: the value has a character a header value cannot carry \(control characters, CR\/LF/),
      expect.stringMatching(/^deployments\[0\]\.api_key: the value has a character a header value cannot carry \(control characters, CR\/LF/),
    ]);
    expect(problems.join('\n')).not.toMatch(/abcsecret|clientsecret/);
  });

  it('still takes a key file with its trailing newline', () => {
    const file = join(dir, 'key');
    writeFileSync(file, 'sk-file-key\n');
    const r = parseConfig({ deployments: [{ ...deployment, api_key: `file:${file}` }] }, {});
    expect(r.ok && r.config.deployments[0]?.api_key?.reveal()).toBe('sk-file-key');
  });
});
