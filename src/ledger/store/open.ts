import type { Logger } from '../../core/logger.js';
import type { LedgerConfig } from '../config.js';
import { openPostgres } from './postgres-driver.js';
import { openSqlite } from './sqlite-driver.js';
import { SqlLedgerStore } from './sql-store.js';

/** Opens the configured store and runs its migrations. */
export async function openStore(config: LedgerConfig, logger: Logger): Promise<SqlLedgerStore> {
  if (config.store === 'postgres') {
    if (!config.url) throw new Error('ledger.store is postgres but ledger.url is not set');
    return SqlLedgerStore.open(openPostgres(config.url.reveal(), config.schema, logger));
  }
  return SqlLedgerStore.open(openSqlite(config.path));
}
