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
});
