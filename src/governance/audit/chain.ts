import { createHash } from 'node:crypto';

/** One audit entry as stored: `hash` covers every other field, `prev_hash` is the entry before's hash. */
export interface AuditEntry {
  seq: number;
  /** Milliseconds since the epoch. */
  ts: number;
  /** Who did it: `key:<id>`, `cli:<user>`, `system`. */
  actor: string;
  /** What happened, dotted: `key.created`, `budget.exceeded`, `access.denied`, ... */
  action: string;
  /** What it happened to: `key:<id>`, `deployment:<id>`, `budget:<name>`. */
  subject: string;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

/** The hash before the first entry. */
export const GENESIS = '0'.repeat(64);

/** JSON with object keys sorted at every depth, so the same entry always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** SHA-256 over the canonical JSON of an entry without its own hash (the previous hash included). */
export function hashEntry(entry: Omit<AuditEntry, 'hash'>): string {
  const { seq, ts, actor, action, subject, details, prev_hash } = entry;
  return createHash('sha256').update(canonicalJson({ seq, ts, actor, action, subject, details, prev_hash })).digest('hex');
}

/** The first place a chain stops being the one that was written. */
export interface ChainBreak {
  /** Sequence number of the first entry that does not fit (or the first one missing). */
  seq: number;
  problem: 'altered' | 'removed' | 'reordered';
  message: string;
}

/** Where verification stands: the last good entry's seq and hash. */
export interface ChainCursor {
  seq: number;
  hash: string;
}

/** A cursor before the first entry. */
export function chainStart(): ChainCursor {
  return { seq: 0, hash: GENESIS };
}

/**
 * Checks entries in seq order from `at`, advancing it: content that no longer matches its hash was
 * altered (and a good hash that the next entry does not link to was recomputed after altering); a
 * gap in the sequence means entries were removed; an entry whose hash and link both fail was moved
 * or renumbered (the seq is part of the hash).
 */
export function verifyEntries(entries: readonly AuditEntry[], at: ChainCursor): ChainBreak | undefined {
  for (const e of entries) {
    const expected = at.seq + 1;
    const intact = hashEntry(e) === e.hash;
    const linked = e.prev_hash === at.hash;
    if (!intact && linked) return { seq: e.seq, problem: 'altered', message: `entry ${e.seq} was altered: its content no longer matches its hash` };
    if (!intact) return { seq: e.seq, problem: 'reordered', message: `entry ${e.seq} is out of place: neither its hash nor its link to entry ${at.seq} holds` };
    if (e.seq > expected) return { seq: expected, problem: 'removed', message: `entry ${expected} is missing: entry ${e.seq} follows entry ${at.seq}` };
    if (!linked) return { seq: at.seq, problem: 'altered', message: `entry ${at.seq} was altered and its hash recomputed: entry ${e.seq} no longer links to it` };
    at.seq = e.seq;
    at.hash = e.hash;
  }
  return undefined;
}
