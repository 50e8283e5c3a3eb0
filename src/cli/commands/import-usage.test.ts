import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { openPostgres } from '../../ledger/store/postgres-driver.js';
import { openSqlite } from '../../ledger/store/sqlite-driver.js';
import { SqlLedgerStore } from '../../ledger/store/sql-store.js';
import { DATABASE_URL, events, testSchema } from '../../ledger/testing/fixtures.js';
import { main } from '../main.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: {} }, out, err };
}

async function rowsIn(path: string): Promise<number> {
  const store = await SqlLedgerStore.open(openSqlite(path));
  const rows = await store.summarize({ from: 0, to: Date.parse('2100-01-01'), groupBy: [] });
  await store.close();
  return rows[0]?.attempts ?? 0;
}

/** Each stored row's id and tags, read from the SQLite file itself. */
async function tagsIn(path: string): Promise<Array<{ id: string; tags: Record<string, string> }>> {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db.prepare('SELECT id, tags FROM usage_events').all() as Array<{ id: string; tags: string }>;
    return rows.map((r) => ({ id: r.id, tags: JSON.parse(r.tags) as Record<string, string> }));
  } finally {
    db.close();
  }
}

describe('switchyard import-usage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-import-'));
  const ledger = join(dir, 'ledger.sqlite');
  const [a, b, c] = events(3);

  it('stores the usage a function log carries, skips its other lines, and is safe to run twice', async () => {
    await (await SqlLedgerStore.open(openSqlite(ledger))).close();
    const log = join(dir, 'function.log');
    writeFileSync(
      log,
      [
        'START RequestId: 1 Version: $LATEST',
        `2026-12-03T11:00:00Z\t${JSON.stringify({ switchyard_unstored_usage: a })}`,
        JSON.stringify({ level: 40, msg: 'ledger store unavailable' }),
        JSON.stringify({ switchyard_unstored_usage: b }),
        JSON.stringify({ switchyard_unstored_usage: a }), // copied by two flushes
        '',
      ].join('\n'),
    );
    const first = capture();
    expect(await main(['import-usage', '--sqlite', ledger, log], first.io)).toBe(0);
    expect(first.out).toEqual(['3 usage events read, 2 new in the ledger (1 it had); 2 other lines skipped']);
    expect(await rowsIn(ledger)).toBe(2);
    const again = capture();
    expect(await main(['import-usage', '--sqlite', ledger, log], again.io)).toBe(0);
    expect(again.out).toEqual(['3 usage events read, 0 new in the ledger (3 it had); 2 other lines skipped']);
    expect(await rowsIn(ledger)).toBe(2);
  });

  it('imports the rest and exits 1 naming each malformed line by file and number', async () => {
    const log = join(dir, 'torn.log');
    writeFileSync(log, [JSON.stringify({ switchyard_usage: c }), JSON.stringify({ switchyard_usage: { ...c, id: 'x', totalTokens: 'many' } }), '{"switchyard_usage": {"id"'].join('\n'));
    const run = capture();
    expect(await main(['import-usage', '--sqlite', ledger, log], run.io)).toBe(1);
    expect(run.err).toEqual([`${log}:2: not imported: totalTokens is not a count`, `${log}:3: not imported: not JSON`]);
    expect(run.out).toEqual(['1 usage events read, 1 new in the ledger (0 it had); 0 other lines skipped, 2 malformed']);
    expect(await rowsIn(ledger)).toBe(3);
  });

  it('imports a row whose tags are past what the gateway writes (written before the bounds) with its tags cut to them, naming its line: its spend is never dropped', async () => {
    const [d, e, f, g, h, i] = events(6, 0.001, Date.parse('2026-02-01T00:00:00Z'));
    // The gateway's own tags (key, team, user, ingress) besides a key's 32: the most a row it wrote carries.
    const keyTags = Object.fromEntries(Array.from({ length: 32 }, (_, n) => [`t${n}`, 'v'.repeat(256)]));
    const widest = { ...d, tags: { ...keyTags, key: 'k1', team: 'research', user: 'ana', ingress: 'openai-chat' } };
    const rows = [
      widest,
      { ...e, tags: { ...e?.tags, project: 'p'.repeat(257) } },
      { ...f, tags: { ...keyTags, one: 'more' } },
      { ...g, tags: { ...g?.tags, 'cost center': 'cc-42' } },
      { ...h, tags: { ...h?.tags, team: 'research\u001b[2J' } },
      { ...i, tags: { ...i?.tags, ['n'.repeat(65)]: 'x' } },
    ];
    const log = join(dir, 'tags.log');
    writeFileSync(log, rows.map((r) => JSON.stringify({ switchyard_usage: r })).join('\n'));
    const before = await rowsIn(ledger);
    const run = capture();
    expect(await main(['import-usage', '--sqlite', ledger, log], run.io)).toBe(0);
    const cutAt = (line: number, problem: string): string => `${log}:${line}: imported with its tags cut to the gateway's bounds, as it now serves such a key: ${problem}`;
    expect(run.err).toEqual([
      cutAt(2, 'tags.project: a tag value is at most 256 characters (this has 257): every ledger row of the key copies it'),
      cutAt(3, 'tags: at most 32 tags (this has 33): every ledger row of the key copies them all'),
      cutAt(4, `tags.cost center: "cost center" is no tag name: use at most 64 letters, digits, _ . - (what reports' tag:NAME, budgets and rate limits take)`),
      cutAt(5, 'tags.team: a tag value must not hold control characters (U+001B at 8): reports, spreadsheets and terminals show it'),
      cutAt(6, `tags: the tag name "${'n'.repeat(32)}"... (65 characters) is longer than 64 characters: use at most 64 letters, digits, _ . - (what reports' tag:NAME, budgets and rate limits take)`),
    ]);
    expect(run.out).toEqual(["6 usage events read, 6 new in the ledger (0 it had); 0 other lines skipped, 5 with tags cut to the gateway's bounds"]);
    expect(await rowsIn(ledger)).toBe(before + 6);
    const stored = new Map((await tagsIn(ledger)).map((r) => [r.id, r.tags]));
    expect(stored.get(e!.id)?.project).toBe('p'.repeat(256));
    expect(Object.keys(stored.get(f!.id) ?? {})).toHaveLength(32);
    expect(stored.get(g!.id)?.['cost center']).toBeUndefined();
    expect(stored.get(h!.id)?.team).toBe('research\uFFFD[2J');
    expect(stored.get(d!.id)).toEqual(widest.tags);
  });

  it('refuses a file it cannot read before importing any (exit 2), saying which and why', async () => {
    const before = await rowsIn(ledger);
    for (const [file, why] of [[join(dir, 'missing.log'), 'no such file'], [dir, 'it is a directory, not a file']] as const) {
      const run = capture();
      expect(await main(['import-usage', '--sqlite', ledger, join(dir, 'function.log'), file], run.io)).toBe(2);
      expect(run.err).toEqual([`switchyard import-usage: cannot read ${file}: ${why}`, expect.stringMatching(/^usage: switchyard import-usage /)]);
    }
    expect(await rowsIn(ledger)).toBe(before);
  });

  it('names a file that became unreadable during the import as the up-front check does, and what it stored before', async () => {
    await (await SqlLedgerStore.open(openSqlite(ledger))).close();
    const first = join(dir, 'rotating.log');
    const second = join(dir, 'rotated-away.log');
    writeFileSync(first, [JSON.stringify({ switchyard_usage: { ...c, id: 'rotating-1' } }), '{"switchyard_usage": {"id"'].join('\n'));
    writeFileSync(second, JSON.stringify({ switchyard_usage: { ...c, id: 'rotating-2' } }));
    const run = capture();
    // The first file's malformed line is told while it is imported: the second is removed then, after the check.
    const io = { ...run.io, err: (l: string) => (run.err.push(l), l.startsWith(`${first}:2:`) && rmSync(second)) };
    expect(await main(['import-usage', '--sqlite', ledger, first, second], io)).toBe(1);
    expect(run.err).toEqual([`${first}:2: not imported: not JSON`, `switchyard import-usage: import stopped: cannot read ${second}: no such file; 1 new events were stored before it (running the import again is safe)`]);
  });

  it('import-usage and report refuse a command line naming two ledgers (exit 2) rather than pick one', async () => {
    const config = join(dir, 'two.yaml');
    writeFileSync(config, `deployments:\n  - { id: a, provider: openai-compatible, model: m }\nledger: { path: ${JSON.stringify(join(dir, 'other.sqlite'))} }\n`);
    const before = await rowsIn(ledger);
    const imported = capture();
    expect(await main(['import-usage', '-c', config, '--sqlite', ledger, join(dir, 'function.log')], imported.io)).toBe(2);
    expect(imported.err[0]).toBe('switchyard import-usage: name one ledger: -c/--config and --sqlite were both given');
    expect(await rowsIn(ledger)).toBe(before);
    const reported = capture();
    expect(await main(['report', '--sqlite', ledger, '--postgres', 'postgres://127.0.0.1:1/x'], reported.io)).toBe(2);
    expect(reported.err[0]).toBe('switchyard report: name one ledger: --sqlite and --postgres were both given');
    expect(reported.err.at(-1)).toMatch(/^usage: switchyard report /);
  });

  it('import-usage and report refuse a --postgres value that is no PostgreSQL URL (exit 2), without echoing it', async () => {
    for (const command of ['report', 'import-usage']) {
      const run = capture();
      const args = command === 'report' ? ['report', '--postgres', 'notaurl:s3cret'] : ['import-usage', '--postgres', 'notaurl:s3cret', join(dir, 'function.log')];
      expect(await main(args, run.io)).toBe(2);
      expect(run.err[0]).toBe(`switchyard ${command}: --postgres must be a PostgreSQL URL (postgres://user@host:5432/db)`);
      expect(run.err.join('\n')).not.toContain('s3cret');
      expect(run.err.at(-1)).toMatch(new RegExp(`^usage: switchyard ${command} `));
    }
  });

  it('refuses a target that is not a ledger database', async () => {
    const run = capture();
    expect(await main(['import-usage', '--sqlite', join(dir, 'typo.sqlite'), join(dir, 'function.log')], run.io)).toBe(1);
    expect(run.err).toEqual([`switchyard import-usage: no ledger at ${join(dir, 'typo.sqlite')}: the file does not exist`]);
    const config = join(dir, 'stdout.yaml');
    writeFileSync(config, 'deployments:\n  - { id: a, provider: openai-compatible, model: m }\nledger:\n  store: stdout\n');
    const stdout = capture();
    expect(await main(['import-usage', '-c', config, join(dir, 'function.log')], stdout.io)).toBe(1);
    expect(stdout.err.join('\n')).toContain('has no ledger database to import into');
    expect(await main(['import-usage', join(dir, 'function.log')], capture().io)).toBe(2);
  });

  it('report and import-usage name a PostgreSQL ledger that refuses the connection (exit 1, one line, no password)', async () => {
    for (const command of ['report', 'import-usage']) {
      const run = capture();
      const url = 'postgres://u:pw-s3cret@127.0.0.1:1/db';
      const args = command === 'report' ? ['report', '--postgres', url] : ['import-usage', '--postgres', url, join(dir, 'function.log')];
      expect(await main(args, run.io)).toBe(1);
      expect(run.err).toHaveLength(1);
      expect(run.err[0]).toMatch(new RegExp(`^switchyard ${command}: `));
      expect(run.err[0]).toMatch(/: cannot open the ledger in the PostgreSQL database of --postgres, schema public: .*ECONNREFUSED/);
      expect(run.err[0]).not.toContain('pw-s3cret');
    }
  });

  it('report and import-usage refuse a --pg-schema that is no plain schema name (exit 2) before connecting: the name is quoted into SQL', async () => {
    for (const command of ['report', 'import-usage']) {
      const run = capture();
      const schema = 'x"; DROP TABLE usage_events; --';
      const source = ['--postgres', 'postgres://127.0.0.1:1/db', '--pg-schema', schema];
      expect(await main(command === 'report' ? ['report', ...source] : ['import-usage', ...source, join(dir, 'function.log')], run.io)).toBe(2);
      expect(run.err[0]).toBe(`switchyard ${command}: --pg-schema must be a schema name as ledger.schema takes it (lower-case letters, digits and _, not starting with a digit), got "${schema}"`);
    }
  });
});

describe.skipIf(!DATABASE_URL)('switchyard import-usage into PostgreSQL', () => {
  it('names a row PostgreSQL refuses (a NUL in a text column) and stores the rest', async () => {
    const url = DATABASE_URL as string;
    const schema = testSchema('import');
    const store = await SqlLedgerStore.open(openPostgres(url, schema, silentLogger));
    try {
      const dir = mkdtempSync(join(tmpdir(), 'switchyard-import-pg-'));
      const [a, b, c] = events(3);
      const log = join(dir, 'nul.log');
      writeFileSync(log, [a, { ...b, team: 'te\u0000am' }, c].map((e) => JSON.stringify({ switchyard_usage: e })).join('\n'));
      const run = capture();
      expect(await main(['import-usage', '--postgres', url, '--pg-schema', schema, log], run.io)).toBe(1);
      expect(run.err).toHaveLength(1);
      expect(run.err[0]).toMatch(new RegExp(`^${log.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: not imported: the ledger refused it`));
      const rows = await store.summarize({ from: 0, to: Date.parse('2100-01-01'), groupBy: [] });
      expect(rows[0]?.attempts).toBe(2);
      // Alone in its batch, it is still the row, not the ledger, that failed.
      const alone = join(dir, 'alone.log');
      writeFileSync(alone, JSON.stringify({ switchyard_usage: { ...c, id: `${c?.id}-x`, team: 'te\u0000am' } }));
      const again = capture();
      expect(await main(['import-usage', '--postgres', url, '--pg-schema', schema, alone], again.io)).toBe(1);
      expect(again.err[0]).toContain(':1: not imported: the ledger refused it');
    } finally {
      await store.close();
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  });

  it('report, audit and keys list refuse a schema that holds no ledger rather than create one and read no usage; import-usage creates it', async () => {
    const url = DATABASE_URL as string;
    const schema = testSchema('noledger');
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-noledger-pg-'));
    const config = join(dir, 'pg.yaml');
    writeFileSync(config, `deployments:\n  - { id: a, provider: openai-compatible, model: m }\nkeys:\n  hmac_secret: \${HMAC}\nledger:\n  store: postgres\n  url: \${DATABASE_URL}\n  schema: ${schema}\n`);
    const env = { DATABASE_URL: url, HMAC: 'an-hmac-secret-of-at-least-32-characters' };
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const schemaExists = async (): Promise<boolean> => (await client.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema])).rows.length > 0;
    try {
      const reported = capture();
      expect(await main(['report', '--postgres', url, '--pg-schema', schema], reported.io)).toBe(1);
      expect(reported.err).toEqual([`switchyard report: no ledger in the PostgreSQL database of --postgres, schema ${schema}: it has no Switchyard tables (name the schema that has them)`]);
      expect(reported.out).toEqual([]);
      for (const argv of [['report', '-c', config], ['audit', 'verify', '-c', config], ['keys', 'list', '-c', config]]) {
        const run = capture();
        run.io.env = env;
        expect(await main(argv, run.io), argv.join(' ')).toBe(1);
        expect(run.err, argv.join(' ')).toEqual([`switchyard ${argv[0]}: no ledger in the PostgreSQL database of ledger.url in ${config}, schema ${schema}: it has no Switchyard tables (name the schema that has them)`]);
      }
      expect(await schemaExists()).toBe(false);
      const log = join(dir, 'usage.log');
      writeFileSync(log, events(1).map((e) => JSON.stringify({ switchyard_usage: e })).join('\n'));
      const imported = capture();
      expect(await main(['import-usage', '--postgres', url, '--pg-schema', schema, log], imported.io)).toBe(0);
      expect(await main(['report', '--postgres', url, '--pg-schema', schema, '--from', '2000-01-01', '--to', '2100-01-01'], capture().io)).toBe(0);
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  });
});
