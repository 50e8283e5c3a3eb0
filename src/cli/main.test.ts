import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { closestCommand, COMMANDS, main } from './main.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: {} }, out, err };
}

describe('the CLI command table', () => {
  it('lists every command in help, and each name loads the command of that name', async () => {
    const listing = capture();
    expect(await main(['--help'], listing.io)).toBe(0);
    const names = listing.out.flatMap((l) => /^ {2}switchyard (\S+)/.exec(l)?.[1] ?? []);
    expect(names).toEqual(['serve', 'check-config', 'demo', 'sim', 'report', 'import-usage', 'drill', 'consistency', 'keys', 'audit']);
    for (const name of names) {
      const c = capture();
      expect(await main(['help', name], c.io)).toBe(0);
      expect(c.out.join('\n')).toMatch(new RegExp(`^usage: switchyard ${name}\\b`));
    }
  });

  it("shows each command's own summary in the overview: the table beside the loader says what each module says", async () => {
    for (const entry of COMMANDS) {
      const command = await entry.load();
      expect({ name: command.name, summary: command.summary }, entry.name).toEqual({ name: entry.name, summary: entry.summary });
    }
  });

  it('says its version for --version, as the package does', async () => {
    const c = capture();
    expect(await main(['--version'], c.io)).toBe(0);
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(c.out).toEqual([version]);
  });

  it('names what is missing when serve has no config', async () => {
    const c = capture();
    expect(await main(['serve'], c.io)).toBe(2);
    expect(c.err[0]).toBe('switchyard serve: name the config file (-c FILE)');
  });

  it('refuses a --port that is not a whole number from 0 to 65535 before starting anything: exit 2 with the usage', async () => {
    for (const argv of [['serve', '-c', 'x.yaml', '--port', 'notaport'], ['demo', '--port', 'abc'], ['sim', 'openai', '--port', '70000'], ['serve', '-c', 'x.yaml', '-p', '80.5']]) {
      const c = capture();
      expect(await main(argv, c.io)).toBe(2);
      expect(c.err[0]).toBe(`switchyard ${argv[0]}: --port must be a whole number from 0 to 65535, got "${argv.at(-1)}"`);
      expect(c.err[1]).toMatch(new RegExp(`^usage: switchyard ${argv[0]} `));
    }
  });

  it('serve refuses an empty or blank --host as server.host is refused (it would listen on every interface): exit 2 with the usage, before the config is read', async () => {
    for (const host of ['', '  ']) {
      const c = capture();
      expect(await main(['serve', '-c', 'not-read.yaml', '--host', host], c.io), JSON.stringify(host)).toBe(2);
      expect(c.err).toEqual([
        'switchyard serve: --host must name the address to listen on (127.0.0.1 for this host only, 0.0.0.0 for every interface): an empty host would listen on every interface',
        'usage: switchyard serve -c FILE [--port N] [--host H] [--workers N]',
      ]);
    }
  });

  it('sim names a cloud it does not simulate, or a missing or second one, with the clouds it does: exit 2 with the usage, nothing started', async () => {
    const clouds = 'openai, bedrock, azure, anthropic, vertex';
    for (const [argv, reason] of [
      [['sim', 'mars'], `unknown cloud "mars"; expected one of ${clouds}`],
      [['sim', 'constructor'], `unknown cloud "constructor"; expected one of ${clouds}`],
      [['sim'], `name the cloud to simulate: one of ${clouds}`],
      [['sim', 'openai', 'bedrock'], 'one cloud at a time, got openai bedrock'],
    ] as const) {
      const c = capture();
      expect(await main([...argv], c.io), argv.join(' ')).toBe(2);
      expect(c.err).toEqual([`switchyard sim: ${reason}`, 'usage: switchyard sim openai|bedrock|azure|anthropic|vertex [--port N] [--seed N]']);
      expect(c.out).toEqual([]);
    }
  });

  it('puts what parseArgs refuses in words: exit 2 with the usage, an unknown option with the one it was probably meant as', async () => {
    for (const [argv, said] of [
      [['keys', 'create', '-c', 'x.yaml', '--rol', 'metrics'], 'switchyard keys: unknown option --rol; did you mean --role?'],
      [['drill', '--max-rt', '1s'], 'switchyard drill: unknown option --max-rt; did you mean --max-rto?'],
      [['report', '-x'], 'switchyard report: unknown option -x'],
      [['keys', 'create', '-c', 'x.yaml', '--owner'], 'switchyard keys: --owner needs a value: --owner O'],
      [['serve', '-c'], 'switchyard serve: -c needs a value: -c FILE'],
      [['demo', '-p'], 'switchyard demo: --port needs a value: --port N'],
      [['report', '--format'], 'switchyard report: --format needs a value: --format table|csv|json|html'],
      [['sim', 'openai', '--seed', '-1'], 'switchyard sim: --seed needs a value; to give one starting with "-", write --seed=N'],
      [['demo', '--show-config=yes'], 'switchyard demo: --show-config takes no value: write just --show-config'],
      [['serve', 'switchyard.yaml'], 'switchyard serve: unexpected argument "switchyard.yaml"; name the config file with -c switchyard.yaml'],
      [['serve', '-c', 'x.yaml', 'extra'], 'switchyard serve: unexpected argument "extra": the command takes only options'],
    ] as const) {
      const c = capture();
      expect(await main([...argv], c.io), argv.join(' ')).toBe(2);
      expect(c.err, argv.join(' ')).toEqual([said, expect.stringMatching(new RegExp(`^usage: switchyard ${argv[0]} `))]);
      expect(c.out).toEqual([]);
    }
  });

  it('says what is wrong before the usage: a missing action, argument, config or file, an unknown action, an argument too many (exit 2, nothing run)', async () => {
    const keys = 'one of create, list, revoke, rotate';
    for (const [argv, said] of [
      [['check-config'], 'switchyard check-config: name the config file: FILE or -c FILE'],
      [['keys', '-c', 'x.yaml'], `switchyard keys: name the action: ${keys}`],
      [['keys', 'lst', '-c', 'x.yaml'], `switchyard keys: unknown action "lst"; did you mean list? (expected ${keys})`],
      [['keys', 'toString', '-c', 'x.yaml'], `switchyard keys: unknown action "toString"; expected ${keys}`],
      [['keys', 'revoke', '-c', 'x.yaml'], 'switchyard keys: revoke: missing the key id'],
      [['keys', 'list'], 'switchyard keys: name the config file (-c FILE)'],
      [['keys', 'list', '-c', 'x.yaml', 'extra'], 'switchyard keys: unexpected argument "extra": list takes only options'],
      [['keys', 'rotate', '0123456789ab', 'extra', '-c', 'x.yaml'], 'switchyard keys: unexpected argument "extra": rotate takes only the key id and options'],
      [['keys', 'list', 'switchyard.yaml'], 'switchyard keys: unexpected argument "switchyard.yaml"; name the config file with -c switchyard.yaml'],
      [['audit', '-c', 'x.yaml'], 'switchyard audit: name the action: one of verify, export'],
      [['audit', 'verfy', '-c', 'x.yaml'], 'switchyard audit: unknown action "verfy"; did you mean verify? (expected one of verify, export)'],
      [['audit', 'verify', '-c', 'x.yaml', 'now'], 'switchyard audit: unexpected argument "now": verify takes only options'],
      [['audit', 'export'], 'switchyard audit: name the config file (-c FILE)'],
      [['import-usage', '-c', 'x.yaml'], 'switchyard import-usage: name at least one FILE to import (a log export, spill file or journal segment)'],
      [['import-usage', 'export.log'], 'switchyard import-usage: name the ledger to import into: -c FILE, --sqlite PATH or --postgres URL'],
      [['consistency', '--group', 'chat'], 'switchyard consistency: name the config file (-c FILE)'],
      [['consistency', '-c', 'x.yaml'], 'switchyard consistency: name the group whose deployments to compare (--group G)'],
      [['consistency', '-c', 'x.yaml', '--group', 'chat', '--format', 'csv'], 'switchyard consistency: unknown format "csv"; expected table, json, html'],
      [['consistency', '-c', 'x.yaml', '--group', 'chat', '--max-cost', 'lots'], 'switchyard consistency: --max-cost: expected a positive number of US dollars (e.g. 0.05), got "lots"'],
      [['drill', '-c', 'x.yaml', '--group', 'chat', '--scenario', 'throttle', '--max-errors', '1.5'], 'switchyard drill: --max-errors: expected a whole number (0, 1, 2, ...), got "1.5"'],
      [['drill', '-c', 'x.yaml', '--group', 'chat', '--scenario', 'throttle', '--max-cost', '0'], 'switchyard drill: --max-cost: expected a positive number of US dollars (e.g. 0.05), got "0"'],
      [['consistency', '-c', 'x.yaml', '--group', 'chat', '--min-similarity', '5'], 'switchyard consistency: --min-similarity: expected a cosine similarity from 0 to 1 (e.g. 0.5), got "5"'],
      [['drill', '-c', 'x.yaml', '--group', 'chat'], 'switchyard drill: name the scenario (--scenario S): one of region-outage, throttle, slow, blackhole, flap, mid-stream-cut, or a YAML file'],
    ] as const) {
      const c = capture();
      expect(await main([...argv], c.io), argv.join(' ')).toBe(2);
      expect(c.err, argv.join(' ')).toEqual([said, expect.stringMatching(new RegExp(`^usage: switchyard ${argv[0]} `))]);
      expect(c.out).toEqual([]);
    }
  });

  it('suggests the command an unknown name was probably meant as: one it begins, or a typo away', async () => {
    const c = capture();
    expect(await main(['check'], c.io)).toBe(2);
    expect(c.err[0]).toBe('switchyard: unknown command "check"; did you mean check-config?');
    // Asked as help: the same, not the general help with exit 0 as if something had been shown.
    for (const [argv, said] of [
      [['help', 'bogus'], 'switchyard: unknown command "bogus"'],
      [['help', 'raport'], 'switchyard: unknown command "raport"; did you mean report?'],
    ] as const) {
      const h = capture();
      expect(await main([...argv], h.io), argv.join(' ')).toBe(2);
      expect(h.err, argv.join(' ')).toEqual([said]);
      expect(h.out[0], argv.join(' ')).toMatch(/^switchyard: one OpenAI-compatible API/);
    }
    for (const argv of [['help'], ['help', 'help'], ['help', '--help']]) expect(await main(argv, capture().io), argv.join(' ')).toBe(0);
    expect(closestCommand('serv')).toBe('serve');
    expect(closestCommand('drils')).toBe('drill');
    expect(closestCommand('raport')).toBe('report');
    expect(closestCommand('frobnicate')).toBeUndefined();
    expect(closestCommand('s')).toBeUndefined();
  });
});
