import { beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from './main.js';

/** Every command module main.ts can load, recorded when loaded: the overview must load none. */
const { loaded, stub } = vi.hoisted(() => {
  const names: string[] = [];
  return {
    loaded: names,
    stub: (name: string) => () => {
      names.push(name);
      return {};
    },
  };
});
vi.mock('./commands/serve.js', stub('serve'));
vi.mock('./commands/check-config.js', stub('check-config'));
vi.mock('./commands/demo.js', stub('demo'));
vi.mock('./commands/sim.js', stub('sim'));
vi.mock('./commands/report.js', stub('report'));
vi.mock('./commands/import-usage.js', stub('import-usage'));
vi.mock('./commands/drill.js', stub('drill'));
vi.mock('./commands/consistency.js', stub('consistency'));
vi.mock('./commands/keys.js', stub('keys'));
vi.mock('./commands/audit.js', stub('audit'));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: {} }, out, err };
}

describe('the CLI overview', () => {
  beforeEach(() => {
    loaded.length = 0;
  });

  it('lists every command with its summary and loads no command module (loading all ten took seconds)', async () => {
    for (const argv of [['--help'], ['-h'], ['help'], []]) {
      const c = capture();
      await main(argv, c.io);
      expect(c.out.filter((l) => l.startsWith('  switchyard ')), argv.join(' ')).toHaveLength(10);
      expect(c.out.join('\n')).toContain('switchyard check-config   validate a config file');
    }
    expect(loaded).toEqual([]);
  });

  it('answers an unknown command, and help for one, with the overview and loads no command module', async () => {
    for (const argv of [['bogus'], ['help', 'bogus'], ['check']]) {
      const c = capture();
      expect(await main(argv, c.io), argv.join(' ')).toBe(2);
      expect(c.err[0], argv.join(' ')).toMatch(/^switchyard: unknown command /);
      expect(c.out[0]).toMatch(/^switchyard: one OpenAI-compatible API/);
    }
    expect(loaded).toEqual([]);
  });

  it('names --version and -v', async () => {
    const c = capture();
    await main(['--help'], c.io);
    expect(c.out.join('\n')).toMatch(/--version \(-v\)/);
  });
});
