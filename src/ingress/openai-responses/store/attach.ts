import type { Logger } from '../../../core/logger.js';
import type { Gateway } from '../../../gateway/gateway.js';
import { SqlLedgerStore, type LedgerStore } from '../../../ledger/store/sql-store.js';
import { attachConversationStore } from './conversations.js';
import { MemoryConversationStore } from './memory.js';
import { SqlConversationStore } from './sql.js';

/**
 * Where the gateway's Responses conversations live when storage is enabled: the ledger's SQL database
 * (so every replica finds them), else this process's memory. Nothing when storage is off.
 */
export function attachResponsesStore(gateway: Gateway, ledger: LedgerStore | undefined, logger: Logger): void {
  const cfg = gateway.config.responses.store;
  if (!cfg.enabled) return;
  const retentionMs = cfg.retention_hours * 3_600_000;
  const store = ledger instanceof SqlLedgerStore ? new SqlConversationStore(ledger.sql, retentionMs) : new MemoryConversationStore(retentionMs, cfg.max_memory_responses);
  attachConversationStore(gateway, store, logger.child({ component: 'responses' }));
}
