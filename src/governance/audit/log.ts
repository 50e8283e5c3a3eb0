import { DEFAULT_CLIENT_RETRY_AFTER_MS, GatewayError } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { LEDGER_UNAVAILABLE } from '../../http/ledger-query.js';
import type { Journal } from '../../ledger/journal.js';
import type { SqlDriver } from '../../ledger/store/driver.js';
import { chainStart, GENESIS, hashEntry, verifyEntries, type AuditEntry, type ChainBreak } from './chain.js';
import type { TimedEvent, Waiting } from './held.js';
import { AuditOutbox } from './outbox.js';

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

/** How the log keeps entries through an outage of its store (see AuditOutbox); none: in memory, retried every 2 s. */
export interface AuditLogOptions {
  /** Where held entries survive a restart (`<ledger.journal_dir>/audit`). */
  journal?: Journal | undefined;
  logger?: Logger;
  /** How often a store that failed is tried again. */
  retryMs?: number;
  /**
   * Whether the store's tables exist: a ledger opened while its database was down migrates once it
   * answers (`SqlLedgerStore.isReady`), and entries wait for that as for an outage.
   */
  ready?: () => boolean;
}

const AUDIT_LOCK = 0x5357_4144; // "SWAD": one appender at a time across replicas (PostgreSQL).
const PAGE = 1000;
const COLUMNS = 'seq, ts, actor, action, subject, details, prev_hash, hash';

type Query = SqlDriver['query'];

/**
 * The append-only audit log in the ledger database: every entry carries the hash of the one before,
 * so editing, deleting or moving a row breaks the chain where it happened. Appends read the last
 * entry and write the next in one transaction under a lock, so the chain stays linear across
 * replicas; a write that must happen with its record (a key change) runs in the same transaction.
 * Appends leave this process in the order they were made, and entries the store cannot take yet are
 * held and appended once it answers (`AuditOutbox`).
 */
export class AuditLog {
  private readonly outbox: AuditOutbox;
  private readonly ready: (() => boolean) | undefined;

  constructor(
    private readonly driver: SqlDriver,
    private readonly now: () => number = Date.now,
    options: AuditLogOptions = {},
  ) {
    this.ready = options.ready;
    this.outbox = new AuditOutbox({
      write: (batch, beforeCommit) => this.write(batch, beforeCommit),
      journal: options.journal,
      logger: options.logger ?? silentLogger,
      retryMs: options.retryMs ?? 2000,
      now,
    });
  }

  private get table(): string {
    return this.driver.table('audit_log');
  }

  /**
   * Appends an event: resolves with its entry once stored, or undefined once held for a store that
   * cannot be reached (appended, in order, when it answers); rejects only when it can be neither.
   */
  append(event: AuditEvent): Promise<AuditEntry | undefined>;
  /**
   * Appends an event with `alongside`, run first in the same transaction, whose result is returned:
   * after every entry queued before it, and never held: while those cannot be stored, it fails with
   * the store's error (a key change is refused rather than made unaudited or out of order).
   */
  append<T>(event: AuditEvent, alongside: (q: Query) => Promise<T>): Promise<{ entry: AuditEntry; result: T }>;
  append<T>(event: AuditEvent, alongside?: (q: Query) => Promise<T>): Promise<AuditEntry | undefined | { entry: AuditEntry; result: T }> {
    if (alongside === undefined) return this.outbox.record(this.timed(event));
    return this.outbox.turn(() =>
      this.transaction(async (q) => {
        const result = await alongside(q);
        const [entry] = chained(await this.head(q), [this.timed(event)]) as [AuditEntry];
        await this.insert(q, [entry]);
        return { entry, result };
      }),
    );
  }

  /** Stops retrying held entries; those left stay in the journal for the next generation or start. */
  close(): void {
    this.outbox.close();
  }

  private timed(event: AuditEvent): TimedEvent {
    return { ts: this.now(), actor: event.actor, action: event.action, subject: event.subject, details: event.details ?? {} };
  }

  /**
   * Writes queued entries in one transaction. An entry an earlier write may have stored (its outcome
   * unknown) is looked for first, under the lock, so that write has settled: found at its seq with its
   * hash, it is not written again.
   */
  private write(batch: readonly Waiting[], beforeCommit: () => void): Promise<AuditEntry[]> {
    return this.transaction(async (q) => {
      const stored = await this.alreadyStored(q, batch);
      const fresh = batch.filter((w) => !stored.has(w));
      const entries = chained(await this.head(q), fresh.map((w) => w.event));
      fresh.forEach((w, i) => {
        const e = entries[i] as AuditEntry;
        w.attempt = { seq: e.seq, hash: e.hash };
      });
      if (fresh.length > 0) {
        beforeCommit();
        await this.insert(q, entries);
      }
      let next = 0;
      return batch.map((w) => stored.get(w) ?? (entries[next++] as AuditEntry));
    });
  }

  private async alreadyStored(q: Query, batch: readonly Waiting[]): Promise<Map<Waiting, AuditEntry>> {
    const found = new Map<Waiting, AuditEntry>();
    const tried = batch.filter((w) => w.attempt !== undefined);
    if (tried.length === 0) return found;
    const { rows } = await q<Record<string, unknown>>(`SELECT ${COLUMNS} FROM ${this.table} WHERE seq IN (${tried.map(() => '?').join(', ')})`, tried.map((w) => w.attempt?.seq));
    const bySeq = new Map(rows.map((r) => [Number(r.seq), r]));
    for (const w of tried) {
      const row = bySeq.get(w.attempt?.seq as number);
      if (row !== undefined && String(row.hash) === w.attempt?.hash) found.set(w, toEntry(row));
    }
    return found;
  }

  private async head(q: Query): Promise<{ seq: number; hash: string }> {
    const { rows } = await q<{ seq: unknown; hash: string }>(`SELECT seq, hash FROM ${this.table} ORDER BY seq DESC LIMIT 1`);
    const last = rows[0];
    return last ? { seq: Number(last.seq), hash: last.hash } : { seq: 0, hash: GENESIS };
  }

  private async insert(q: Query, entries: readonly AuditEntry[]): Promise<void> {
    for (const e of entries) {
      await q(`INSERT INTO ${this.table} (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, [e.seq, e.ts, e.actor, e.action, e.subject, JSON.stringify(e.details), e.prev_hash, e.hash]);
    }
  }

  /** A transaction under the chain's lock, once the store's tables exist. */
  private async transaction<T>(fn: (q: Query) => Promise<T>): Promise<T> {
    if (this.ready?.() === false) throw new GatewayError({ kind: 'unavailable', code: LEDGER_UNAVAILABLE.code, message: LEDGER_UNAVAILABLE.message, retryAfterMs: DEFAULT_CLIENT_RETRY_AFTER_MS });
    return this.driver.transaction(AUDIT_LOCK, fn);
  }

  /** Entries in seq order, a page at a time (for export and verification of large logs). */
  async *entries(from = 1): AsyncGenerator<AuditEntry[]> {
    let next = from;
    for (;;) {
      const { rows } = await this.driver.query<Record<string, unknown>>(`SELECT ${COLUMNS} FROM ${this.table} WHERE seq >= ? ORDER BY seq LIMIT ${PAGE}`, [next]);
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

/** The entries of `events` appended after `head`, each linked to the one before. */
function chained(head: { seq: number; hash: string }, events: readonly TimedEvent[]): AuditEntry[] {
  let { seq, hash } = head;
  return events.map((event) => {
    const base = { seq: seq + 1, ts: event.ts, actor: event.actor, action: event.action, subject: event.subject, details: event.details, prev_hash: hash };
    const entry: AuditEntry = { ...base, hash: hashEntry(base) };
    seq = entry.seq;
    hash = entry.hash;
    return entry;
  });
}
