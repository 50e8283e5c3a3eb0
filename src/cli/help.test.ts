import { describe, expect, it } from 'vitest';
import { main } from './main.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: {} }, out, err };
}

describe('switchyard <command> --help', () => {
  it('works for every command the overview lists, as --help, -h and help COMMAND, without running it', async () => {
    const overview = capture();
    expect(await main(['help'], overview.io)).toBe(0);
    const names = overview.out.flatMap((l) => /^ {2}switchyard (\S+)/.exec(l)?.[1] ?? []);
    expect(names).toEqual(expect.arrayContaining(['serve', 'check-config', 'demo', 'sim', 'report', 'drill', 'consistency', 'keys', 'audit']));
    for (const name of names) {
      for (const argv of [[name, '--help'], [name, '-h'], ['help', name]]) {
        const c = capture();
        expect(await main(argv, c.io), argv.join(' ')).toBe(0);
        const text = c.out.join('\n');
        expect(text, argv.join(' ')).toMatch(new RegExp(`^usage: switchyard ${name}\\b`));
        // A usage line, the summary and at least two lines of explanation.
        expect(text.split('\n').filter((l) => l.trim() !== '').length, argv.join(' ')).toBeGreaterThanOrEqual(4);
        expect(c.err, argv.join(' ')).toEqual([]);
      }
    }
  });
  it('names on the usage line every option a command\'s options: list shows, in one of its forms (demo left out -q/--quiet)', async () => {
    for (const name of ['serve', 'demo', 'sim', 'report']) {
      const c = capture();
      expect(await main(['help', name], c.io)).toBe(0);
      const text = c.out.join('\n');
      const usage = /^usage: (.*)$/m.exec(text)?.[1] ?? '';
      const block = /\noptions:\n((?:[ ]+\S.*\n?)+)/.exec(text)?.[1] ?? '';
      // Each option as its forms (`-c, --config`): the usage line may show either.
      const options = [...block.matchAll(/^ {2}(?:(-\w), | {4})(--[a-z][\w-]*)/gm)].map((m) => [m[2] ?? '', m[1]].filter((f) => f !== undefined));
      const shown = (form: string): boolean => new RegExp(`(?<![\\w-])${form}(?![\\w-])`).test(usage);
      expect(options.length, name).toBeGreaterThan(0);
      expect(options.filter((forms) => !forms.some(shown)).map((forms) => forms[0]), name).toEqual([]);
    }
  });
});
