import { ConfigError, loadConfigFile } from '../../config/load.js';
import type { GatewayConfig } from '../../config/schema.js';
import { SqlLedgerStore } from '../../ledger/store/sql-store.js';
import { AuditLog } from '../../governance/audit/log.js';
import type { CommandIO } from '../command.js';
import { loadNeededConfig, openSourceStore, type ConfigNeeds } from '../ledger-source.js';
import { GatewayError } from '../../core/errors.js';

/** The ledger database of a config, with its audit log, for the keys and audit commands. */
export interface GovernanceDb {
  config: GatewayConfig;
  store: SqlLedgerStore;
  audit: AuditLog;
  /** Who acts, in the audit log: the operating-system user running the CLI. */
  actor: string;
}

/**
 * Opens the ledger database `FILE` names (migrations run) to `read` or `write`, as `openSourceStore`
 * does: to read, a SQLite ledger that does not exist yet is refused ('no ledger at PATH (ledger.path
 * of FILE): the file does not exist'), not created empty. The caller closes `store`. An invalid config
 * or a ledger that cannot be opened is printed and gives undefined (the command exits 1). With `needs`
 * (a command reading only the ledger), a variable unset outside what it reads stops nothing.
 */
export async function openGovernanceDb(file: string, io: CommandIO, use: 'read' | 'write', needs?: ConfigNeeds): Promise<GovernanceDb | undefined> {
  const config = needs ? loadNeededConfig(file, io, needs) : loadWhole(file, io);
  if (!config) return undefined;
  const store = await openSourceStore({ config: file }, config, io, use);
  if (!store) return undefined;
  if (!(store instanceof SqlLedgerStore)) {
    await store.close();
    throw new GatewayError({ kind: 'invalid_request', message: 'Keys and the audit log live in a database: set ledger.store to sqlite or postgres.' });
  }
  return { config, store, audit: new AuditLog(store.sql), actor: `cli:${io.env.USER ?? io.env.USERNAME ?? 'unknown'}` };
}

/** The whole config, every variable set (the keys commands use the HMAC secret and the routing config). */
function loadWhole(file: string, io: CommandIO): GatewayConfig | undefined {
  try {
    return loadConfigFile(file, io.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(err.message);
    return undefined;
  }
}
