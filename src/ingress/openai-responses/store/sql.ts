import type { SqlDriver } from '../../../ledger/store/driver.js';
import { IN_FLIGHT_MS, type AnswerInProgress, type ConversationStore, type Failed, type InProgress, type StoredAnswer, type StoredConversation, type StoredResponse } from './store.js';

const SWEEP_EVERY_MS = 60_000;

const COLUMNS = ['id', 'owner', 'created_at', 'expires_at', 'messages', 'residency', 'response', 'input_items'];
/**
 * A stream's row while it runs: its in-progress Response object (as `response.created` carries it) and
 * its input items, no conversation (`messages` is NOT NULL).
 */
const BEGUN = ['id', 'owner', 'created_at', 'expires_at', 'messages', 'response', 'input_items', 'state'];
/**
 * A begun row's `messages`: JSON that is no conversation. A build from before migration 10 (a rolling
 * upgrade) does not know `state` and reads the row as stored: given `[]` it would continue the
 * response with its history silently empty; given this it refuses it (previous_response_unreadable).
 */
const NO_CONVERSATION = 'null';
/**
 * A row a read finds: a stored response, one still streaming (not a tombstone), or one whose stream
 * failed ('failed': its failed Response object; `messages` stays NO_CONVERSATION, so a build from
 * before migration 10, which reads it as stored, refuses to continue it; one that knows only
 * 'streaming' does not find it).
 */
const READABLE = "(state IS NULL OR state = 'streaming' OR state = 'failed')";
/** A row `delete` removes outright: a stored response or a failed one (a stream under way gets a tombstone). */
const SETTLED = "(state IS NULL OR state = 'failed')";

/**
 * Conversations in the ledger database's `responses` table (migration 5; its `residency`, migration 8;
 * the answer as given, `response` and `input_items`, migration 9: NULL in rows older builds wrote).
 * A stream under way is a row of `state` 'streaming' (migration 10), which reads on any replica find
 * in progress, which its stream's failure turns into a 'failed' row, and a DELETE into a 'deleted'
 * tombstone: the row is shared, so a DELETE on any replica reaches the stream's save on another, and
 * each of those is one statement on one row, so the two cannot both win.
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
    const now = await this.sweep();
    await this.driver.insertRows(this.table, COLUMNS, 'id', [
      [id, owner, now, now + this.retentionMs, JSON.stringify(stored.messages), stored.residency ?? null, stored.response, stored.inputItems],
    ]);
  }

  async begin(id: string, owner: string, begun: StoredAnswer): Promise<void> {
    const now = this.now();
    await this.driver.insertRows(this.table, BEGUN, 'id', [[id, owner, now, now + IN_FLIGHT_MS, NO_CONVERSATION, begun.response, begun.inputItems, 'streaming']]);
  }

  async finish(id: string, owner: string, stored: StoredResponse): Promise<boolean> {
    const now = await this.sweep();
    const { changes } = await this.driver.query(
      `UPDATE ${this.table} SET created_at = ?, expires_at = ?, messages = ?, residency = ?, response = ?, input_items = ?, state = NULL WHERE id = ? AND owner = ? AND state = 'streaming' AND expires_at > ?`,
      [now, now + this.retentionMs, JSON.stringify(stored.messages), stored.residency ?? null, stored.response, stored.inputItems, id, owner, now],
    );
    return this.settled(id, owner, changes);
  }

  async fail(id: string, owner: string, failed: StoredAnswer): Promise<boolean> {
    const now = await this.sweep();
    const { changes } = await this.driver.query(
      `UPDATE ${this.table} SET created_at = ?, expires_at = ?, response = ?, input_items = ?, state = 'failed' WHERE id = ? AND owner = ? AND state = 'streaming' AND expires_at > ?`,
      [now, now + this.retentionMs, failed.response, failed.inputItems, id, owner, now],
    );
    return this.settled(id, owner, changes);
  }

  async abandon(id: string, owner: string): Promise<void> {
    await this.driver.query(`DELETE FROM ${this.table} WHERE id = ? AND owner = ? AND (state = 'streaming' OR state = 'deleted')`, [id, owner]);
  }

  async load(id: string, owner: string): Promise<StoredConversation | InProgress | Failed | undefined> {
    const { rows } = await this.driver.query<{ messages: string; residency: string | null; state: string | null }>(
      `SELECT messages, residency, state FROM ${this.table} WHERE id = ? AND owner = ? AND expires_at > ? AND ${READABLE}`,
      [id, owner, this.now()],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    if (row.state === 'failed') return { failed: true };
    return row.state === null ? { messages: JSON.parse(row.messages) as unknown, residency: row.residency ?? undefined } : { inProgress: true };
  }

  async answered(id: string, owner: string): Promise<StoredAnswer | AnswerInProgress | undefined> {
    const { rows } = await this.driver.query<{ response: string | null; input_items: string | null; state: string | null }>(
      `SELECT response, input_items, state FROM ${this.table} WHERE id = ? AND owner = ? AND expires_at > ? AND ${READABLE}`,
      [id, owner, this.now()],
    );
    const row = rows[0];
    // NULL in rows older builds wrote, a stored response's or a stream's mark's.
    if (typeof row?.response !== 'string') return undefined;
    // A mark an older build began has no input items.
    if (row.state === 'streaming') return { inProgress: true, response: row.response, inputItems: row.input_items ?? undefined };
    return typeof row.input_items === 'string' ? { response: row.response, inputItems: row.input_items } : undefined;
  }

  async delete(id: string, owner: string): Promise<boolean> {
    const now = this.now();
    // The tombstone first: were the stored row deleted first, a stream saving in between would survive both.
    const streaming = await this.driver.query(`UPDATE ${this.table} SET state = 'deleted', response = NULL, input_items = NULL WHERE id = ? AND owner = ? AND state = 'streaming' AND expires_at > ?`, [id, owner, now]);
    if (streaming.changes > 0) return true;
    const { changes } = await this.driver.query(`DELETE FROM ${this.table} WHERE id = ? AND owner = ? AND expires_at > ? AND ${SETTLED}`, [id, owner, now]);
    return changes > 0;
  }

  /** Whether a stream's row was kept (`changes`); one deleted while it streamed has its tombstone cleared. */
  private async settled(id: string, owner: string, changes: number): Promise<boolean> {
    if (changes > 0) return true;
    // Deleted while it streamed: the tombstone has done its work.
    await this.abandon(id, owner);
    return false;
  }

  /** Deletes expired rows (at most once a minute: a DELETE per write would cost more than the rows it saves); the time now. */
  private async sweep(): Promise<number> {
    const now = this.now();
    if (now >= this.nextSweep) {
      this.nextSweep = now + SWEEP_EVERY_MS;
      await this.driver.query(`DELETE FROM ${this.table} WHERE expires_at <= ?`, [now]);
    }
    return now;
  }
}
