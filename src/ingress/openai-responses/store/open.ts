import type { Logger } from '../../../core/logger.js';
import { SqlLedgerStore, type LedgerStore } from '../../../ledger/store/sql-store.js';
import type { ResponsesConfig } from '../config.js';
import { Conversations, memoryConversations } from './conversations.js';
import { memoryLimits, type MemoryConversationStore } from './memory.js';
import { SqlConversationStore } from './sql.js';

/**
 * Where an app's Responses conversations live when storage is enabled: the ledger's SQL database (so
 * every replica and worker finds them, and they outlive a restart), else this process's memory: `kept`
 * when given (serve's, which outlives reloads), under this config's limits. Undefined when storage is off.
 */
export function openConversations(cfg: ResponsesConfig['store'], ledger: LedgerStore | undefined, logger: Logger, kept?: MemoryConversationStore): Conversations | undefined {
  if (!cfg.enabled) return undefined;
  const log = logger.child({ component: 'responses' });
  if (!(ledger instanceof SqlLedgerStore)) {
    if (!kept) return memoryConversations(cfg, log);
    kept.limit(memoryLimits(cfg));
    return new Conversations(kept, log);
  }
  return new Conversations(new SqlConversationStore(ledger.sql, cfg.retention_hours * 3_600_000), log);
}
