import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../config/load.js';
import { createLedger } from './index.js';
import { localPathProblems } from './local-paths.js';

/*
 * A ledger file or folder the config names that the filesystem refuses stops the start with the
 * setting's name, as a config error; `serve` said only `EEXIST: file already exists, mkdir ...`.
 */

const dir = mkdtempSync(join(tmpdir(), 'switchyard-ledger-paths-'));
const aFile = join(dir, 'a-file');
writeFileSync(aFile, 'not a folder');
mkdirSync(join(dir, 'a-folder'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configOf(ledger: Record<string, unknown>) {
  return resolveConfig({
    deployments: [{ id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1' }],
    ledger: { enabled: true, store: 'sqlite', path: join(dir, 'ok', 'ledger.sqlite'), journal_dir: join(dir, 'ok', 'journal'), spill_path: join(dir, 'ok', 'spill.jsonl'), ...ledger },
  });
}

async function problemOf(ledger: Record<string, unknown>): Promise<string> {
  const config = configOf(ledger);
  const opened = await createLedger(config).catch((err: unknown) => err);
  if (!(opened instanceof ConfigError)) {
    if (opened instanceof Error) throw opened;
    await (opened as { close(): Promise<void> }).close();
    return 'opened';
  }
  return opened.problems.map((p) => `${p.path}: ${p.message}`).join('\n');
}

describe('ledger paths the filesystem refuses', () => {
  it('names ledger.path, ledger.journal_dir or ledger.spill_path, and why', async () => {
    expect(await problemOf({ path: join(aFile, 'ledger.sqlite') })).toBe(`ledger.path: cannot use ${join(aFile, 'ledger.sqlite')}: a part of its path is a file, not a directory`);
    expect(await problemOf({ path: join(dir, 'a-folder') })).toMatch(/^ledger\.path: cannot use .*a-folder: SQLite cannot open a database file there/);
    expect(await problemOf({ journal_dir: join(aFile, 'journal') })).toBe(`ledger.journal_dir: cannot use ${join(aFile, 'journal')}: a part of its path is a file, not a directory`);
    expect(await problemOf({ spill_path: join(aFile, 'spill.jsonl') })).toBe(`ledger.spill_path: cannot use ${join(aFile, 'spill.jsonl')}: a part of its path is a file, not a directory`);
    expect(await problemOf({})).toBe('opened');
  });
});

describe('the same ledger paths, looked at without opening anything (check-config)', () => {
  const looked = (ledger: Record<string, unknown>): string[] => localPathProblems(configOf(ledger).ledger).map((p) => `${p.path}: ${p.message}`);
  /** Every path under the test folder, so a probe that made a folder or file shows. */
  const tree = (): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();

  it('names what serve would refuse, setting by setting, and creates nothing', () => {
    const before = tree();
    expect(looked({ path: join(aFile, 'ledger.sqlite') })).toEqual([`ledger.path: cannot use ${join(aFile, 'ledger.sqlite')}: a part of its path is a file, not a directory`]);
    expect(looked({ path: join(dir, 'a-folder') })).toEqual([`ledger.path: cannot use ${join(dir, 'a-folder')}: it is a directory, not a file`]);
    expect(looked({ journal_dir: join(aFile, 'journal') })).toEqual([`ledger.journal_dir: cannot use ${join(aFile, 'journal')}: a part of its path is a file, not a directory`]);
    expect(looked({ journal_dir: aFile })).toEqual([`ledger.journal_dir: cannot use ${aFile}: it is a file, not a directory`]);
    expect(looked({ spill_path: join(aFile, 'deeper', 'spill.jsonl') })).toEqual([`ledger.spill_path: cannot use ${join(aFile, 'deeper', 'spill.jsonl')}: a part of its path is a file, not a directory`]);
    // Folders that do not exist yet are fine where they could be made: serve makes them.
    expect(looked({ path: join(dir, 'new', 'deep', 'ledger.sqlite'), journal_dir: join(dir, 'new', 'journal') })).toEqual([]);
    expect(tree()).toEqual(before);
  });

  it('looks only at the paths the ledger would open: none when it is off, no SQLite file for another store, no spill folder for stdout', () => {
    const bad = join(aFile, 'x');
    expect(looked({ enabled: false, path: bad, journal_dir: bad, spill_path: bad })).toEqual([]);
    expect(looked({ store: 'stdout', path: bad, spill_path: bad, journal: false })).toEqual([]);
    expect(looked({ path: ':memory:', journal: false })).toEqual([]);
  });

  // root writes anywhere: there, a folder's mode takes nothing away.
  it.skipIf(process.getuid?.() === 0)('says permission denied for a folder this process may not write in', () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    try {
      expect(looked({ path: join(locked, 'sub', 'ledger.sqlite') })).toEqual([`ledger.path: cannot use ${join(locked, 'sub', 'ledger.sqlite')}: permission denied`]);
    } finally {
      chmodSync(locked, 0o755);
    }
  });
});
