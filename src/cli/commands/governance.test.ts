import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { main } from '../main.js';

function capture(env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env }, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'sy-gov-cli-'));
const db = join(dir, 'ledger.sqlite');
const file = join(dir, 'config.yaml');
writeFileSync(
  file,
  [
    'deployments:',
    '  - { id: a, provider: openai-compatible, model: m, endpoint: "http://127.0.0.1:9/v1" }',
    'groups: [{ name: chat, deployments: [a] }]',
    `ledger: { path: ${JSON.stringify(db)}, journal: false }`,
    'keys:',
    '  hmac_secret: ${SWITCHYARD_KEY_SECRET}',
  ].join('\n'),
);
const env = { SWITCHYARD_KEY_SECRET: 's'.repeat(64), USER: 'ops' };

/** A config like `file` whose SQLite ledger (in a folder of its own) is not there yet. */
function freshConfig(name: string): { config: string; ledger: string } {
  const ledger = join(dir, name, 'ledger.sqlite');
  const config = join(dir, `${name}.yaml`);
  writeFileSync(config, readFileSync(file, 'utf8').replace(JSON.stringify(db), JSON.stringify(ledger)));
  return { config, ledger };
}

describe('switchyard keys and audit', () => {
  it('creates, lists, rotates and revokes keys, each change in the audit log', async () => {
    const created = capture(env);
    const rc = await main(['keys', 'create', '-c', file, '--owner', 'ana', '--groups', 'chat', '--policy', '{"rate_limits":{"requests_per_minute":60}}'], created.io);
    expect(created.err).toEqual(['The key is shown this once; store it now.']);
    expect(rc).toBe(0);
    const key = JSON.parse(created.out.join('\n')) as { id: string; key: string; owner: string; groups: string[] };
    expect(key).toMatchObject({ owner: 'ana', groups: ['chat'], rate_limits: { requests_per_minute: 60 } });
    expect(key.key).toMatch(/^sy-/);

    const listed = capture(env);
    expect(await main(['keys', 'list', '-c', file], listed.io)).toBe(0);
    expect(listed.out.join('\n')).toContain(key.id);
    expect(listed.out.join('\n')).not.toContain(key.key);

    expect(await main(['keys', 'rotate', key.id, '-c', file], capture(env).io)).toBe(0);
    expect(await main(['keys', 'revoke', key.id, '-c', file], capture(env).io)).toBe(0);
    const again = capture(env);
    expect(await main(['keys', 'revoke', key.id, '-c', file], again.io)).toBe(1);
    expect(again.err.join('\n')).toContain(`No active virtual key '${key.id}'`);
    const bad = capture(env);
    expect(await main(['keys', 'create', '-c', file, '--groups', 'nope'], bad.io)).toBe(2);
    expect(bad.err.join('\n')).toContain('--groups: unknown group "nope"');
    expect(bad.err.at(-1)).toMatch(/^usage: switchyard keys /);
    // An id that is no key id is a bad argument too; an unknown key (above) is not.
    const notAnId = capture(env);
    expect(await main(['keys', 'revoke', 'zz', '-c', file], notAnId.io)).toBe(2);
    expect(notAnId.err.join('\n')).toContain('That is not a virtual key id (12 hex digits).');
    expect(notAnId.err.at(-1)).toMatch(/^usage: switchyard keys /);

    const exported = join(dir, 'audit.jsonl');
    expect(await main(['audit', 'export', '-c', file, '--out', exported], capture(env).io)).toBe(0);
    const lines = readFileSync(exported, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seq: number; actor: string; action: string; subject: string });
    expect(lines.map((l) => [l.seq, l.actor, l.action, l.subject])).toEqual([
      [1, 'cli:ops', 'key.created', `key:${key.id}`],
      [2, 'cli:ops', 'key.rotated', `key:${key.id}`],
      [3, 'cli:ops', 'key.revoked', `key:${key.id}`],
    ]);
  });

  it('audit verify passes an intact log and names the entry edited in the database', async () => {
    const ok = capture(env);
    expect(await main(['audit', 'verify', '-c', file], ok.io)).toBe(0);
    expect(ok.out).toEqual(['audit log ok: 3 entries, chain intact']);

    const sqlite = new Database(db);
    sqlite.prepare("UPDATE audit_log SET actor = 'cli:someone-else' WHERE seq = 2").run();
    sqlite.close();
    const broken = capture(env);
    expect(await main(['audit', 'verify', '-c', file], broken.io)).toBe(1);
    expect(broken.err.join('\n')).toContain('audit log broken at entry 2 (altered)');
  });

  it('audit verify and export and keys list, revoke and rotate refuse a config whose SQLite ledger does not exist, creating nothing', async () => {
    const { config, ledger } = freshConfig('never-written');
    for (const argv of [['audit', 'verify'], ['audit', 'export'], ['keys', 'list'], ['keys', 'revoke', '0123456789ab'], ['keys', 'rotate', '0123456789ab']]) {
      const c = capture(env);
      expect(await main([...argv, '-c', config], c.io), argv.join(' ')).toBe(1);
      expect(c.err, argv.join(' ')).toEqual([`switchyard ${argv[0]}: no ledger at ${ledger} (ledger.path of ${config}): the file does not exist`]);
      expect(c.out, argv.join(' ')).toEqual([]);
    }
    expect([existsSync(ledger), existsSync(join(dir, 'never-written'))]).toEqual([false, false]);
  });

  it('keys create makes the ledger a config names when it is not there yet, and the commands that read it then find it', async () => {
    const { config, ledger } = freshConfig('first-key');
    const created = capture(env);
    expect(await main(['keys', 'create', '-c', config, '--owner', 'bo'], created.io)).toBe(0);
    expect(existsSync(ledger)).toBe(true);
    const { id } = JSON.parse(created.out.join('\n')) as { id: string };
    const listed = capture(env);
    expect(await main(['keys', 'list', '-c', config], listed.io)).toBe(0);
    expect(listed.out.join('\n')).toContain(id);
    const verified = capture(env);
    expect(await main(['audit', 'verify', '-c', config], verified.io)).toBe(0);
    expect(verified.out).toEqual(['audit log ok: 1 entries, chain intact']);
  });

  it('keys create names the flag that set a refused field, in words, and the field when --policy set it', async () => {
    const cases: Array<[string[], string]> = [
      [['--role', 'metrics'], '--role: a virtual key\'s role is "admin" or "user", not "metrics": a scrape credential is set in the config\'s api_keys, beside the secret Prometheus reads'],
      [['--role', 'root'], '--role: expected one of "admin", "user"; got the text "root"'],
      [['--expires-at', 'tomorrow'], '--expires-at: expected an ISO 8601 time with its offset, such as 2027-01-01T00:00:00Z'],
      [['--owner='], '--owner: must not be empty'],
      [['--residency', 'mars'], '--residency: no deployment this key may use is tagged "mars", so every request of it would be refused (residency_violation); tag the deployments that may serve it (tags: [mars])'],
      [['--policy', '{"role":"metrics"}'], 'Invalid key field \'role\': a virtual key\'s role is "admin" or "user", not "metrics": a scrape credential is set in the config\'s api_keys, beside the secret Prometheus reads.'],
      [['--policy', '{"bugets":[]}'], 'Invalid key: unknown key "bugets"; did you mean "budgets"?'],
    ];
    for (const [flags, said] of cases) {
      const bad = capture(env);
      expect(await main(['keys', 'create', '-c', file, ...flags], bad.io), flags.join(' ')).toBe(2);
      expect(bad.err, flags.join(' ')).toEqual([`switchyard keys: ${said}`, expect.stringMatching(/^usage: switchyard keys /)]);
    }
  });

  it('keys create refuses a --policy that is not a JSON object as a bad flag (exit 2), flags given or not', async () => {
    for (const policy of ['null', '[]', '"a string"', '{not json']) {
      for (const flags of [[], ['--owner', 'ana']]) {
        const bad = capture(env);
        expect(await main(['keys', 'create', '-c', file, '--policy', policy, ...flags], bad.io)).toBe(2);
        expect(bad.err[0]).toBe('switchyard keys: --policy must be a JSON object');
        expect(bad.err.at(-1)).toMatch(/^usage: switchyard keys /);
      }
    }
  });
});
