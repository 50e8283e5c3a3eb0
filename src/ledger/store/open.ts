import type { Logger } from '../../core/logger.js';
import type { LedgerConfig } from '../config.js';
import { SqlLedgerStore, type LedgerStore } from './sql-store.js';
import { JsonLinesLedgerStore } from './stdout-store.js';
import type { ClusterReads } from './wal-gate.js';

/**
 * Opens the configured store and runs its migrations (for PostgreSQL, as soon as the database is
 * reachable); `walReads`: a `serve --workers` worker's, for a SQLite file's WAL gate.
 */
export async function openStore(config: LedgerConfig, logger: Logger, walReads?: (path: string) => ClusterReads): Promise<LedgerStore> {
  if (config.store === 'stdout') return new JsonLinesLedgerStore();
  if (config.store === 'postgres') {
    if (!config.url) throw new Error('ledger.store is postgres but ledger.url is not set');
    // A database down at start must not stop the gateway: events buffer until it is back.
    const { openPostgres } = await import('./postgres-driver.js');
    return SqlLedgerStore.connect(openPostgres(config.url.reveal(), config.schema, logger, { queryTimeoutMs: config.query_timeout_ms, poolSize: config.pool_size }), { logger, retryMs: config.retry_interval_ms });
  }
  // Drivers load only when configured: a PostgreSQL deployment never loads the SQLite addon, and back.
  const { openSqlite } = await import('./sqlite-driver.js');
  return SqlLedgerStore.open(openSqlite(config.path, { queryTimeoutMs: config.query_timeout_ms, logger, walReads }));
}
