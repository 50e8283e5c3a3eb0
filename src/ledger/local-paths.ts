import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../config/load.js';
import { fileProblem } from '../config/file-problem.js';

/**
 * Runs what opens a ledger file or folder the config names (`ledger.path`, `ledger.journal_dir`),
 * turning a filesystem refusal into a `ConfigError` naming that setting: `serve` said only
 * `EEXIST: file already exists, mkdir '/srv/x'` or `unable to open database file`.
 */
export function openingLocalPath<T>(setting: string, path: string, open: () => T): T {
  let opened: T;
  try {
    opened = open();
  } catch (err) {
    throw named(setting, path, err);
  }
  // An opening that is asynchronous (a driver loaded on first use) fails as its promise rejects.
  return opened instanceof Promise ? (opened.catch((err: unknown) => Promise.reject(named(setting, path, err))) as T) : opened;
}

/** A filesystem refusal as the config error it is; anything else as it was. */
function named(setting: string, path: string, err: unknown): unknown {
  return isFileRefusal(err) ? new ConfigError('config', [{ path: setting, message: `cannot use ${path}: ${refusal(err)}` }]) : err;
}

/**
 * The folder a file the ledger writes only later (`ledger.spill_path`, when the store is down) goes
 * into, made now: a path it could never write is a start-up error, not an event lost in an outage.
 */
export function ensureFolderOf(setting: string, path: string): void {
  openingLocalPath(setting, path, () => mkdirSync(dirname(path), { recursive: true }));
}

/** An fs error (errno code) or SQLite's refusal to open its file. */
function isFileRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('E') || code === 'SQLITE_CANTOPEN');
}

function refusal(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (code === 'EEXIST') return 'a part of its path is a file, not a directory';
  if (code === 'SQLITE_CANTOPEN') return 'SQLite cannot open a database file there (a directory, or a folder it may not write)';
  return fileProblem(err, true);
}
