import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../config/load.js';
import { createLedger } from './index.js';

/*
 * A ledger file or folder the config names that the filesystem refuses stops the start with the
 * setting's name, as a config error; `serve` said only `EEXIST: file already exists, mkdir ...`.
 */

const dir = mkdtempSync(join(tmpdir(), 'switchyard-ledger-paths-'));
const aFile = join(dir, 'a-file');
writeFileSync(aFile, 'not a folder');
mkdirSync(join(dir, 'a-folder'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function problemOf(ledger: Record<string, unknown>): Promise<string> {
  const config = resolveConfig({
    deployments: [{ id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: 'http://127.0.0.1:9/v1' }],
    ledger: { enabled: true, store: 'sqlite', path: join(dir, 'ok', 'ledger.sqlite'), journal_dir: join(dir, 'ok', 'journal'), spill_path: join(dir, 'ok', 'spill.jsonl'), ...ledger },
  });
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
