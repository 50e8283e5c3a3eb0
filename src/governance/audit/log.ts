import type { SqlDriver } from '../../ledger/store/driver.js';
import { chainStart, GENESIS, hashEntry, verifyEntries, type AuditEntry, type ChainBreak } from './chain.js';

/** What a caller records; the log adds seq, time and the chain. */
export interface AuditEvent {
  actor: string;
  action: string;
  subject: string;
  details?: Record<string, unknown>;
}

/** Result of `verify`: how many entries held, and the first break if any. */
export interface AuditVerdict {
  checked: number;
  lastSeq: number;
  broken: ChainBreak | undefined;
}

const AUDIT_LOCK = 0x5357_4144; // "SWAD": one appender at a time across replicas (PostgreSQL).
const PAGE = 1000;

type Query = SqlDriver['query'];

/**
 * The append-only audit log in the ledger database: every entry carries the hash of the one before,
 * so editing, deleting or moving a row breaks the chain where it happened. Appends read the last
 * entry and write the next in one transaction under a lock, so the chain stays linear across
 * replicas; a write that must happen with its record (a key change) runs in the same transaction.
 */
export class AuditLog {
  constructor(
    private readonly driver: SqlDriver,
    private readonly now: () => number = Date.now,
  ) {}

  private get table(): string {
    return this.driver.table('audit_log');
  }

  /** Appends an event; `alongside` runs first in the same transaction, and its result is returned. */
  async append<T = undefined>(event: AuditEvent, alongside?: (q: Query) => Promise<T>): Promise<{ entry: AuditEntry; result: T }> {
    return this.driver.transaction(AUDIT_LOCK, async (q) => {
      const result = (alongside ? await alongside(q) : undefined) as T;
      const { rows } = await q<{ seq: unknown; hash: string }>(`SELECT seq, hash FROM ${this.table} ORDER BY seq DESC LIMIT 1`);
      const last = rows[0];
      const base = { seq: last ? Number(last.seq) + 1 : 1, ts: this.now(), actor: event.actor, action: event.action, subject: event.subject, details: event.details ?? {}, prev_hash: last?.hash ?? GENESIS };
      const entry: AuditEntry = { ...base, hash: hashEntry(base) };
      await q(`INSERT INTO ${this.table} (seq, ts, actor, action, subject, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, [
        entry.seq, entry.ts, entry.actor, entry.action, entry.subject, JSON.stringify(entry.details), entry.prev_hash, entry.hash,
      ]);
      return { entry, result };
    });
  }

  /** Entries in seq order, a page at a time (for export and verification of large logs). */
  async *entries(from = 1): AsyncGenerator<AuditEntry[]> {
    let next = from;
    for (;;) {
      const { rows } = await this.driver.query<Record<string, unknown>>(`SELECT seq, ts, actor, action, subject, details, prev_hash, hash FROM ${this.table} WHERE seq >= ? ORDER BY seq LIMIT ${PAGE}`, [next]);
      if (rows.length === 0) return;
      const page = rows.map(toEntry);
      yield page;
      next = (page[page.length - 1] as AuditEntry).seq + 1;
      if (rows.length < PAGE) return;
    }
  }

  /** Recomputes the chain from the first entry and reports the first altered, removed or reordered one. */
  async verify(): Promise<AuditVerdict> {
    const at = chainStart();
    let checked = 0;
    for await (const page of this.entries()) {
      const broken = verifyEntries(page, at);
      if (broken) return { checked, lastSeq: at.seq, broken };
      checked += page.length;
    }
    return { checked, lastSeq: at.seq, broken: undefined };
  }
}

function toEntry(r: Record<string, unknown>): AuditEntry {
  let details: Record<string, unknown>;
  try {
    details = JSON.parse(String(r.details)) as Record<string, unknown>;
  } catch {
    // Details that no longer parse were edited: keep the raw text so the hash check names the entry.
    details = { unparseable: String(r.details) };
  }
  return { seq: Number(r.seq), ts: Number(r.ts), actor: String(r.actor), action: String(r.action), subject: String(r.subject), details, prev_hash: String(r.prev_hash), hash: String(r.hash) };
}
