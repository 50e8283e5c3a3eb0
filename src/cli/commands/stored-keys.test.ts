import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PgProxy } from '../../governance/audit/testing/pg-proxy.js';
import { DATABASE_URL, testSchema } from '../../ledger/testing/fixtures.js';
import { main } from '../main.js';

const env = { SWITCHYARD_KEY_SECRET: 's'.repeat(64), USER: 'ops', DATABASE_URL: DATABASE_URL ?? '' };

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env }, out, err };
}

/**
 * A config on `ledger`: before the change, an eu-tagged deployment and a `simple` group; after it, the
 * tag and the group gone (the change that strands keys needing either). `keys: false`: keys turned off.
 */
function writeConfig(path: string, ledger: string, when: 'before' | 'after', keys = true): string {
  const before = when === 'before';
  writeFileSync(
    path,
    [
      'deployments:',
      `  - { id: claude-eu, provider: openai-compatible, model: m, endpoint: "http://127.0.0.1:9/v1"${before ? ', tags: [eu]' : ''} }`,
      '  - { id: gpt-us, provider: openai-compatible, model: m, endpoint: "http://127.0.0.1:9/v1" }',
      'groups:',
      '  - { name: coding, deployments: [claude-eu, gpt-us] }',
      ...(before ? ['  - { name: simple, deployments: [gpt-us] }'] : []),
      `ledger: ${ledger}`,
      ...(keys ? ['keys: { hmac_secret: "${SWITCHYARD_KEY_SECRET}" }'] : []),
    ].join('\n'),
  );
  return path;
}

async function createKey(config: string, ...flags: string[]): Promise<string> {
  const c = capture();
  expect(await main(['keys', 'create', '-c', config, ...flags], c.io), c.err.join('\n')).toBe(0);
  return (JSON.parse(c.out.join('\n')) as { id: string }).id;
}

/** check-config --keys against keys created under the `before` config, on the ledger `ledger` (YAML) names. */
function storedKeysSuite(name: string, ledger: () => string, unchanged: () => Promise<() => Promise<void>>) {
  describe(`check-config --keys on ${name}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-stored-keys-'));
    const config = (when: 'before' | 'after', keys = true) => writeConfig(join(dir, `${when}-${String(keys)}.yaml`), ledger(), when, keys);

    it('passes while every stored key fits, and names by id each active key a changed config would strand, reading the ledger only', async () => {
      const eu = await createKey(config('before'), '--owner', 'ana', '--residency', 'eu', '--groups', 'coding');
      const simple = await createKey(config('before'), '--owner', 'bo', '--groups', 'simple');
      const fits = await createKey(config('before'), '--owner', 'cy', '--groups', 'coding');
      const revoked = await createKey(config('before'), '--owner', 'di', '--groups', 'simple');
      expect(await main(['keys', 'revoke', revoked, '-c', config('before')], capture().io)).toBe(0);

      const ok = capture();
      expect(await main(['check-config', config('before'), '--keys'], ok.io)).toBe(0);
      expect(ok.out.slice(-2)).toEqual([expect.stringMatching(/every active virtual key at .* fits this config$/), `${config('before')}: ok (2 deployments, 2 groups)`]);

      const check = await unchanged();
      const stranded = capture();
      expect(await main(['check-config', config('after'), '--keys'], stranded.io)).toBe(1);
      // No "ok" for a run that fails: the verdict, last, says what failed.
      expect(stranded.out.join('\n')).not.toContain(': ok (');
      expect(stranded.err.at(-1)).toBe(`${config('after')}: failed --keys (the config itself is valid: 2 deployments, 1 group)`);
      const text = stranded.err.join('\n');
      expect(stranded.err[0]).toMatch(/: 2 active virtual key\(s\) at .* would not match this config, and their requests there would be refused:$/);
      expect(text).toContain(`  key ${eu}: residency: no deployment this key may use is tagged "eu"`);
      expect(text).toContain(`  key ${simple}: groups[0]: unknown group "simple"; known groups: coding`);
      expect(text).not.toContain(fits);
      expect(text).not.toContain(revoked);
      await check();
    });

    it('fails when the config turns virtual keys off while active ones are stored: none of them would authenticate', async () => {
      const off = capture();
      expect(await main(['check-config', config('before', false), '--keys'], off.io)).toBe(1);
      expect(off.err[0]).toMatch(/: 3 active virtual key\(s\) at .*, and this config turns virtual keys off \(no keys\.hmac_secret\): none of them would authenticate$/);
    });
  });
}

const sqliteDir = mkdtempSync(join(tmpdir(), 'sy-stored-keys-sqlite-'));
const sqlitePath = join(sqliteDir, 'ledger.sqlite');
storedKeysSuite(
  'SQLite',
  () => `{ path: ${JSON.stringify(sqlitePath)}, journal: false }`,
  async () => {
    // The database and its WAL, byte for byte (a file absent reads as such).
    const digest = () => [sqlitePath, `${sqlitePath}-wal`].map((f) => (existsSync(f) ? createHash('sha256').update(readFileSync(f)).digest('hex') : 'absent'));
    const before = digest();
    return () => {
      expect(digest()).toEqual(before);
      return Promise.resolve();
    };
  },
);

describe('check-config --keys without a ledger to read', () => {
  it('fails, saying so, on a SQLite ledger that does not exist, and creates none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-stored-keys-none-'));
    const path = join(dir, 'absent', 'ledger.sqlite');
    const c = capture();
    expect(await main(['check-config', writeConfig(join(dir, 'c.yaml'), `{ path: ${JSON.stringify(path)} }`, 'after'), '--keys'], c.io)).toBe(1);
    expect(c.err.join('\n')).toContain(`--keys: no ledger at ${path} (ledger.path of ${join(dir, 'c.yaml')}): the file does not exist`);
    expect(existsSync(path)).toBe(false);
  });
});

const PG_URL = DATABASE_URL;
if (PG_URL) {
  const schema = testSchema('storedkeys');
  const pgSchemas = async (): Promise<string[]> => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      return (await c.query<{ name: string }>('SELECT schema_name AS name FROM information_schema.schemata')).rows.map((r) => r.name);
    } finally {
      await c.end();
    }
  };
  afterAll(async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  });
  storedKeysSuite(
    'PostgreSQL',
    () => `{ store: postgres, url: "\${DATABASE_URL}", schema: ${schema} }`,
    async () => {
      // Read-only: no migration runs, so a schema the config names that does not exist stays absent.
      const absent = `${schema}_absent`;
      const dir = mkdtempSync(join(tmpdir(), 'sy-stored-keys-pg-'));
      const c = capture();
      expect(await main(['check-config', writeConfig(join(dir, 'c.yaml'), `{ store: postgres, url: "\${DATABASE_URL}", schema: ${absent} }`, 'after'), '--keys'], c.io)).toBe(1);
      expect(c.err.join('\n')).toContain(`--keys: cannot read the virtual keys at the PostgreSQL database of ledger.url in ${join(dir, 'c.yaml')}, schema ${absent}`);
      expect(await pgSchemas()).not.toContain(absent);
      return () => Promise.resolve();
    },
  );

  describe('check-config --keys when the PostgreSQL connection is lost mid-check', () => {
    const lostSchema = testSchema('storedkeyslost');
    const target = new URL(PG_URL);
    const proxy = new PgProxy({ host: target.hostname, port: Number(target.port || 5432) });
    /** What reached no listener: each would have ended the CLI with a stack trace. */
    const uncaught: unknown[] = [];
    const record = (err: unknown): void => void uncaught.push(err);
    beforeEach(() => process.on('uncaughtException', record));
    afterEach(() => void process.off('uncaughtException', record));
    afterAll(async () => {
      await proxy.stop();
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${lostSchema}" CASCADE`);
      await c.end();
    });

    it('fails like its other failures, naming the lost connection, rather than crash', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sy-stored-keys-lost-'));
      const config = writeConfig(join(dir, 'c.yaml'), `{ store: postgres, url: "\${DATABASE_URL}", schema: ${lostSchema} }`, 'before');
      await createKey(config, '--owner', 'ana', '--groups', 'coding');
      await proxy.start();
      // The table locked from another session: the check's read waits there until its connection is cut.
      const locker = new pg.Client({ connectionString: PG_URL });
      const watcher = new pg.Client({ connectionString: PG_URL });
      await Promise.all([locker.connect(), watcher.connect()]);
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${lostSchema}".virtual_keys IN ACCESS EXCLUSIVE MODE`);
      try {
        const out: string[] = [];
        const err: string[] = [];
        const checking = main(['check-config', config, '--keys'], { out: (l) => out.push(l), err: (l) => err.push(l), env: { ...env, DATABASE_URL: proxy.url(PG_URL) } });
        // Not the locker's: inside its transaction, it would read its first snapshot of the view again and again.
        const waiting = async (): Promise<number> =>
          Number((await watcher.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1", [`%"${lostSchema}".virtual_keys%`])).rows[0]?.n);
        await expect.poll(waiting, { timeout: 5_000 }).toBe(1);
        await proxy.stop();
        expect(await checking).toBe(1);
        expect(uncaught).toEqual([]);
        expect(err[0]).toBe(
          `${config}: --keys: cannot read the virtual keys at the PostgreSQL database of ledger.url in ${config}, schema ${lostSchema}: the connection to the database was lost (Connection terminated unexpectedly)`,
        );
        expect(err.at(-1)).toBe(`${config}: failed --keys (the config itself is valid: 2 deployments, 2 groups)`);
      } finally {
        await locker.query('ROLLBACK');
        await Promise.all([locker.end(), watcher.end()]);
      }
    });
  });
} else {
  describe.skip('check-config --keys on PostgreSQL (DATABASE_URL is not set)', () => {
    it('skipped', () => undefined);
  });
}
