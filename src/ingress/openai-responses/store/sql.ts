import type { SqlDriver } from '../../../ledger/store/driver.js';
import type { ConversationStore, StoredAnswer, StoredConversation, StoredResponse } from './store.js';

/** At most one retention sweep a minute: a DELETE per write would cost more than the rows it saves. */
const SWEEP_EVERY_MS = 60_000;

const COLUMNS = ['id', 'owner', 'created_at', 'expires_at', 'messages', 'residency', 'response', 'input_items'];

/**
 * Conversations in the ledger database's `responses` table (migration 5; its `residency`, migration 8;
 * the answer as given, `response` and `input_items`, migration 9: NULL in rows older builds wrote).
 */
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

  async save(id: string, owner: string, stored: StoredResponse): Promise<void> {
    const now = this.now();
    if (now >= this.nextSweep) {
      this.nextSweep = now + SWEEP_EVERY_MS;
      await this.driver.query(`DELETE FROM ${this.table} WHERE expires_at <= ?`, [now]);
    }
    await this.driver.insertRows(this.table, COLUMNS, 'id', [
      [id, owner, now, now + this.retentionMs, JSON.stringify(stored.messages), stored.residency ?? null, stored.response, stored.inputItems],
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

  async answered(id: string, owner: string): Promise<StoredAnswer | undefined> {
    const { rows } = await this.driver.query<{ response: string | null; input_items: string | null }>(
      `SELECT response, input_items FROM ${this.table} WHERE id = ? AND owner = ? AND expires_at > ?`,
      [id, owner, this.now()],
    );
    const row = rows[0];
    if (typeof row?.response !== 'string' || typeof row.input_items !== 'string') return undefined;
    return { response: row.response, inputItems: row.input_items };
  }

  async delete(id: string, owner: string): Promise<boolean> {
    const { changes } = await this.driver.query(`DELETE FROM ${this.table} WHERE id = ? AND owner = ? AND expires_at > ?`, [id, owner, this.now()]);
    return changes > 0;
  }
}
