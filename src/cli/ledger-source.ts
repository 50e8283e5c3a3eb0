import { existsSync } from 'node:fs';
import { ConfigError, loadConfigFile } from '../config/load.js';
import type { GatewayConfig } from '../config/schema.js';
import { silentLogger } from '../core/logger.js';
import { openPostgres } from '../ledger/store/postgres-driver.js';
import { openSqlite } from '../ledger/store/sqlite-driver.js';
import { openStore } from '../ledger/store/open.js';
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

/** The config a source names, or undefined without one; an invalid config is reported and null. */
export function loadSourceConfig(source: LedgerSource, io: CommandIO): GatewayConfig | undefined | null {
  if (!source.config) return undefined;
  try {
    return loadConfigFile(source.config, io.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(err.message);
      return null;
    }
    throw err;
  }
}

/**
 * Opens the store a source names. A missing SQLite file is reported (undefined) rather than opened:
 * that would create an empty ledger, and a typo would silently read or write the wrong one.
 */
export async function openSourceStore(source: LedgerSource, config: GatewayConfig | undefined, io: CommandIO): Promise<LedgerStore | undefined> {
  if (source.sqlite) {
    if (!existsSync(source.sqlite)) {
      io.err(`no ledger at ${source.sqlite}: the file does not exist`);
      return undefined;
    }
    return SqlLedgerStore.open(openSqlite(source.sqlite));
  }
  if (source.postgres) {
    // Not echoed: the URL may carry a password.
    if (!isPostgresUrl(source.postgres)) throw new UsageError('--postgres must be a PostgreSQL URL (postgres://user@host:5432/db)');
    return SqlLedgerStore.open(openPostgres(source.postgres, source['pg-schema'] ?? 'public', silentLogger));
  }
  if (!config) throw new Error('openSourceStore: a source names a config, a SQLite file or a PostgreSQL URL');
  return openStore(config.ledger, silentLogger);
}

/** What pg takes for a URL: `postgres://`, `postgresql://` (a socket with `?host=/dir`) or `socket:/dir`. */
function isPostgresUrl(text: string): boolean {
  return URL.canParse(text) && ['postgres:', 'postgresql:', 'socket:'].includes(new URL(text).protocol);
}
