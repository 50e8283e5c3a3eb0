import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError, loadConfigFile, type ConfigProblem } from '../config/load.js';
import { Secret } from '../config/secret.js';
import type { GatewayConfig } from '../config/schema.js';
import { fileProblem } from '../config/file-problem.js';
import { errorMessage } from '../core/error-trace.js';
import { silentLogger } from '../core/logger.js';
import { openPostgres } from '../ledger/store/postgres-driver.js';
import { openSqlite } from '../ledger/store/sqlite-driver.js';
import { openStore } from '../ledger/store/open.js';
import { PG_SCHEMA_NAME } from '../ledger/config.js';
import type { SqlDriver } from '../ledger/store/driver.js';
import { SqlLedgerStore, type LedgerStore } from '../ledger/store/sql-store.js';
import { UsageError, type CommandIO } from './command.js';

/** The ledger a command reads or writes, as its options name it: one of a config, a SQLite file or a PostgreSQL URL. */
export interface LedgerSource {
  config?: string;
  sqlite?: string;
  postgres?: string;
  'pg-schema'?: string;
}

export const LEDGER_SOURCE_OPTIONS = {
  config: { type: 'string', short: 'c' },
  sqlite: { type: 'string' },
  postgres: { type: 'string' },
  'pg-schema': { type: 'string' },
} as const;

/**
 * A command line naming two ledgers (`-c FILE --sqlite PATH`): which one was meant cannot be told, and
 * reading or writing the other would be silent. Returns the message, or undefined for at most one.
 */
export function severalSources(source: LedgerSource): string | undefined {
  const named = [source.config && '-c/--config', source.sqlite && '--sqlite', source.postgres && '--postgres'].filter(Boolean);
  return named.length > 1 ? `name one ledger: ${named.join(' and ')} were both given` : undefined;
}

/**
 * What of a config a command reads: `whole`, sections read with their secrets' values (the ledger's
 * database URL); `withoutSecrets`, sections read for everything but their secrets' values (`report
 * --advise` prices deployments, never calls them). A variable left unset anywhere else stops nothing.
 */
export interface ConfigNeeds {
  command: string;
  whole: readonly string[];
  withoutSecrets?: readonly string[];
}

/** What the ledger-reading commands need: the `ledger:` section. */
export const LEDGER_ONLY = (command: string): ConfigNeeds => ({ command, whole: ['ledger'] });

/** The config a source names, or undefined without one; an invalid config is reported and null. */
export function loadSourceConfig(source: LedgerSource, io: CommandIO, needs: ConfigNeeds): GatewayConfig | undefined | null {
  if (!source.config) return undefined;
  return loadNeededConfig(source.config, io, needs);
}

/**
 * A config file as a command that reads only part of it needs it: validated whole, a variable unset
 * outside what it reads named once on stderr (never a value) rather than refused. Invalid: reported, null.
 */
export function loadNeededConfig(path: string, io: CommandIO, needs: ConfigNeeds): GatewayConfig | null {
  try {
    const { config, notNeeded } = loadConfigFor(path, io.env, needs);
    if (notNeeded.length > 0) io.err(`not set, not needed by ${needs.command}: ${notNeeded.join(', ')}`);
    return config;
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(err.message);
      return null;
    }
    throw err;
  }
}

const UNSET = /^environment variable ([A-Za-z_][A-Za-z0-9_]*) is (?:not set|set but empty)$/;
/** Clearly no real value, and valid as a header value: what an unset variable not needed stands for. */
const PLACEHOLDER = /switchyard-unset-([A-Za-z0-9_]+)-placeholder/g;
const placeholder = (name: string): string => `switchyard-unset-${name}-placeholder`;
const unsetName = (p: ConfigProblem): string | undefined => UNSET.exec(p.message)?.[1];
const sectionOf = (path: string): string => /^[^.[]*/.exec(path)?.[0] ?? path;

/**
 * Loads `path` as `loadConfigFile` does, but when its only problems are unset variables outside
 * `needs.whole`, loads it again with those variables standing for placeholders. That parse must pass
 * whole (a placeholder where the schema wants a URL or a number: the first error, as it was) and put
 * no placeholder in a plain value of `needs.withoutSecrets` (a model name is read; a key's value is
 * not); otherwise the unset variables are errors at their paths. Any other problem fails as before.
 */
export function loadConfigFor(path: string, env: CommandIO['env'], needs: ConfigNeeds): { config: GatewayConfig; notNeeded: string[] } {
  let first: ConfigError;
  try {
    return { config: loadConfigFile(path, env), notNeeded: [] };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    first = err;
  }
  const problems = first.problems;
  if (problems.length === 0 || problems.some((p) => unsetName(p) === undefined)) throw first;
  const needed = problems.filter((p) => needs.whole.includes(sectionOf(p.path)));
  if (needed.length > 0) throw new ConfigError(first.source, needed);
  const names = [...new Set(problems.map((p) => unsetName(p) ?? ''))];
  const filled = { ...env, ...Object.fromEntries(names.map((n) => [n, placeholder(n)])) };
  let config: GatewayConfig;
  try {
    config = loadConfigFile(path, filled);
  } catch (err) {
    if (err instanceof ConfigError) throw first;
    throw err;
  }
  const read = placeholdersRead(config, needs.withoutSecrets ?? []);
  if (read.size > 0) throw new ConfigError(first.source, problems.filter((p) => read.has(unsetName(p) ?? '')));
  return { config, notNeeded: names };
}

/** The variables whose placeholder is in a value of `sections` that is not a secret (and so would be read). */
function placeholdersRead(config: GatewayConfig, sections: readonly string[]): Set<string> {
  const names = new Set<string>();
  const seen = new Set<object>();
  const visit = (node: unknown): void => {
    if (typeof node === 'string') for (const m of node.matchAll(PLACEHOLDER)) names.add(m[1] ?? '');
    if (node === null || typeof node !== 'object' || node instanceof Secret || seen.has(node)) return;
    seen.add(node);
    for (const value of Object.values(node)) visit(value);
  };
  for (const section of sections) visit((config as unknown as Record<string, unknown>)[section]);
  return names;
}

/**
 * Why `path` cannot be opened as a SQLite ledger, in words, or undefined when it can be tried. A missing
 * file is a problem unless `mayCreate`: opening it would create an empty ledger, and a typo would
 * silently read or write the wrong one.
 */
function sqliteFileProblem(path: string, mayCreate: boolean): string | undefined {
  try {
    if (statSync(path).isDirectory()) return 'it is a directory, not a SQLite file';
    return undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return mayCreate ? undefined : 'the file does not exist';
    return fileProblem(err);
  }
}

/** A SQLite ledger, migrated; what keeps it from opening (not a database, no permission) is reported with its path, as undefined. */
async function openSqliteLedger(path: string, where: string, mayCreate: boolean, io: CommandIO): Promise<LedgerStore | undefined> {
  const problem = sqliteFileProblem(path, mayCreate);
  if (problem !== undefined) {
    io.err(`no ledger at ${where}: ${problem}`);
    return undefined;
  }
  let driver: SqlDriver | undefined;
  try {
    driver = openSqlite(path);
    return await SqlLedgerStore.open(driver);
  } catch (err) {
    await driver?.close();
    io.err(`cannot open the ledger at ${where}: ${errorMessage(err)}`);
    return undefined;
  }
}

/**
 * Where a config's SQLite ledger is: `ledger.path` from the working directory, as `serve` opens it, made
 * absolute so messages name the file that is read (a relative path run from elsewhere is another file).
 * Undefined for a ledger that is no SQLite file.
 */
export function configLedgerPath(config: GatewayConfig, io: Pick<CommandIO, 'cwd'>): string | undefined {
  return config.ledger.store === 'sqlite' ? resolve(io.cwd ?? process.cwd(), config.ledger.path) : undefined;
}

/**
 * Opens the store a source names, to `read` (a SQLite ledger must exist: `report`, `audit`, `keys list`,
 * `revoke` and `rotate` create nothing) or to `write` (`import-usage`, `keys create`: a config's SQLite
 * ledger is created as the gateway would create it; a `--sqlite` path must exist all the same, so a typo
 * is not written to). Problems are reported and give undefined.
 */
export async function openSourceStore(source: LedgerSource, config: GatewayConfig | undefined, io: CommandIO, use: 'read' | 'write'): Promise<LedgerStore | undefined> {
  if (source.sqlite) return openSqliteLedger(source.sqlite, source.sqlite, false, io);
  if (source.postgres) {
    // Not echoed: the URL may carry a password.
    if (!isPostgresUrl(source.postgres)) throw new UsageError('--postgres must be a PostgreSQL URL (postgres://user@host:5432/db)');
    const schema = source['pg-schema'] ?? 'public';
    // The schema is quoted into the ledger's SQL as is: a quote in it would end the name and run the rest.
    if (!PG_SCHEMA_NAME.test(schema)) throw new UsageError(`--pg-schema must be a schema name as ledger.schema takes it (lower-case letters, digits and _, not starting with a digit), got "${schema}"`);
    return openPostgresLedger(source.postgres, schema, `the PostgreSQL database of --postgres, schema ${schema}`, use, io);
  }
  if (!config) throw new Error('openSourceStore: a source names a config, a SQLite file or a PostgreSQL URL');
  const path = configLedgerPath(config, io);
  if (path !== undefined) {
    const relative = isAbsolute(config.ledger.path) ? '' : ', relative to the working directory';
    return openSqliteLedger(path, `${path} (ledger.path of ${source.config}${relative})`, use === 'write', io);
  }
  if (config.ledger.store === 'postgres' && config.ledger.url) {
    return openPostgresLedger(config.ledger.url.reveal(), config.ledger.schema, `the PostgreSQL database of ledger.url in ${source.config}, schema ${config.ledger.schema}`, use, io);
  }
  return openStore(config.ledger, silentLogger);
}

/**
 * A PostgreSQL ledger, migrated, or undefined with the problem reported: a database that refuses or
 * cannot be reached, or, to `read`, a schema without a ledger (migrating would create an empty one, and
 * a misspelt schema would read as no usage). Opened at once, not retried as the gateway's store is.
 */
async function openPostgresLedger(url: string, schema: string, where: string, use: 'read' | 'write', io: CommandIO): Promise<LedgerStore | undefined> {
  const driver = openPostgres(url, schema, silentLogger);
  try {
    if (use === 'read') {
      const { rows } = await driver.query('SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?', [schema, 'switchyard_ledger_migrations']);
      if (rows.length === 0) {
        await driver.close();
        io.err(`no ledger in ${where}: it has no Switchyard tables (name the schema that has them)`);
        return undefined;
      }
    }
    return await SqlLedgerStore.open(driver);
  } catch (err) {
    await driver.close().catch(() => undefined);
    io.err(`cannot open the ledger in ${where}: ${errorMessage(err)}`);
    return undefined;
  }
}

/** What pg takes for a URL: `postgres://`, `postgresql://` (a socket with `?host=/dir`) or `socket:/dir`. */
function isPostgresUrl(text: string): boolean {
  return URL.canParse(text) && ['postgres:', 'postgresql:', 'socket:'].includes(new URL(text).protocol);
}
