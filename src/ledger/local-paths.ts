import { accessSync, constants, mkdirSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../config/load.js';
import { fileProblem } from '../config/file-problem.js';
import type { ConfigProblem } from '../config/interpolate.js';
import type { LedgerConfig } from './config.js';

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

/**
 * The ledger's local paths the filesystem would refuse, found by looking only: nothing is created, so
 * `check-config` can report what `serve` would refuse at start (`openingLocalPath`) without side effects.
 * The paths `createLedger` opens, on the same conditions: the SQLite file, the journal folder, the
 * spill file's folder. A look cannot see everything (a full disk, SELinux), so `serve` still checks.
 */
export function localPathProblems(ledger: LedgerConfig): ConfigProblem[] {
  if (!ledger.enabled) return [];
  const probes: Array<[string, string, string | undefined]> = [];
  if (ledger.store === 'sqlite' && ledger.path !== ':memory:') probes.push(['ledger.path', ledger.path, fileRefusal(ledger.path)]);
  if (ledger.journal) probes.push(['ledger.journal_dir', ledger.journal_dir, folderRefusal(ledger.journal_dir, true)]);
  if (ledger.store !== 'stdout') probes.push(['ledger.spill_path', ledger.spill_path, folderRefusal(dirname(ledger.spill_path), false)]);
  return probes.flatMap(([setting, path, problem]) => (problem === undefined ? [] : [{ path: setting, message: `cannot use ${path}: ${problem}` }]));
}

/** Why a file could not be opened for writing at `path` (SQLite also writes beside it: its -wal and -shm files). */
function fileRefusal(path: string): string | undefined {
  const stat = statOf(path);
  if (stat instanceof Error) return stat.message;
  if (stat?.isDirectory()) return 'it is a directory, not a file';
  if (stat && !mayWrite(path, constants.W_OK)) return 'permission denied';
  return folderRefusal(dirname(path), false);
}

/**
 * Why a folder could not be used, or made with its parents, to write in: its nearest existing ancestor
 * (itself, when it exists) must be a directory this process may write in. `named`: the setting names
 * this folder (journal_dir), so a file in its place is the path itself, not a part of it.
 */
function folderRefusal(path: string, named: boolean): string | undefined {
  let at = resolve(path);
  for (;;) {
    const stat = statOf(at);
    if (stat instanceof Error) return stat.message;
    if (stat !== undefined) {
      if (!stat.isDirectory()) return named && at === resolve(path) ? 'it is a file, not a directory' : 'a part of its path is a file, not a directory';
      return mayWrite(at, constants.W_OK | constants.X_OK) ? undefined : 'permission denied';
    }
    const parent = dirname(at);
    if (parent === at) return undefined;
    at = parent;
  }
}

/** The path's stat; undefined when nothing is there (or a file stands where a folder of it should); an Error in words otherwise. */
function statOf(path: string): Stats | undefined | Error {
  try {
    return statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENOTDIR: a part of the path is a file; the walk up to it says so.
    return code === 'ENOENT' || code === 'ENOTDIR' ? undefined : new Error(fileProblem(err, true));
  }
}

function mayWrite(path: string, mode: number): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}
