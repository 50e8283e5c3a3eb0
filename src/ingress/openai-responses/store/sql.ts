import type { Message } from '../../../core/types.js';
import type { SqlDriver } from '../../../ledger/store/driver.js';
import type { ConversationStore, StoredConversation } from './store.js';

/** At most one retention sweep a minute: a DELETE per write would cost more than the rows it saves. */
const SWEEP_EVERY_MS = 60_000;

/** Conversations in the ledger database's `responses` table (migration 5; its `residency`, migration 8). */
export class SqlConversationStore implements ConversationStore {
  private readonly table: string;
  private nextSweep = 0;

  constructor(
    private readonly driver: SqlDriver,
    private readonly retentionMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.table = driver.table('responses');
  }

  async save(id: string, owner: string, messages: readonly Message[], residency: string | undefined): Promise<void> {
    const now = this.now();
    if (now >= this.nextSweep) {
      this.nextSweep = now + SWEEP_EVERY_MS;
      await this.driver.query(`DELETE FROM ${this.table} WHERE expires_at <= ?`, [now]);
    }
    await this.driver.insertRows(this.table, ['id', 'owner', 'created_at', 'expires_at', 'messages', 'residency'], 'id', [
      [id, owner, now, now + this.retentionMs, JSON.stringify(messages), residency ?? null],
    ]);
  }

  async load(id: string, owner: string): Promise<StoredConversation | undefined> {
    const { rows } = await this.driver.query<{ messages: string; residency: string | null }>(`SELECT messages, residency FROM ${this.table} WHERE id = ? AND owner = ? AND expires_at > ?`, [
      id,
      owner,
      this.now(),
    ]);
    const row = rows[0];
    return row === undefined ? undefined : { messages: JSON.parse(row.messages) as unknown, residency: row.residency ?? undefined };
  }
}
