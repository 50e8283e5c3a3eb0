import type { AuditEntry } from './chain.js';

/** An event with the time it happened: an entry held through an outage keeps that time. */
export interface TimedEvent {
  ts: number;
  actor: string;
  action: string;
  subject: string;
  details: Record<string, unknown>;
}

/** Where a write whose outcome is unknown put an entry: it is stored if that seq holds this hash. */
export interface Attempt {
  seq: number;
  hash: string;
}

/** An event waiting for the store. */
export interface Waiting {
  readonly event: TimedEvent;
  /** The last write that may have committed it; checked under the chain's lock before it is written again. */
  attempt: Attempt | undefined;
  /** Its id in the journal, once written there. */
  id: string | undefined;
  /** Its caller, until told: the entry once stored, undefined once held for later, or why it is neither. */
  done: ((entry: AuditEntry | undefined) => void) | undefined;
  failed: ((err: unknown) => void) | undefined;
}

/**
 * The journal's lines: a held entry (`{"audit": event, "id", "attempt"?: [seq, hash]}`), written when
 * it is queued, and the writes that may store entries (`{"attempts": [[id, seq, hash], ...]}`),
 * written before their INSERT.
 */
export function heldLine(w: Waiting): string {
  const line: Record<string, unknown> = { audit: w.event, id: w.id };
  if (w.attempt) line.attempt = [w.attempt.seq, w.attempt.hash];
  return `${JSON.stringify(line)}\n`;
}

/** The line of a write that may store these journaled entries, each at its `attempt`. */
export function attemptsLine(entries: readonly Waiting[]): string {
  return `${JSON.stringify({ attempts: entries.map((w) => [w.id, w.attempt?.seq, w.attempt?.hash]) })}\n`;
}

/** Reads one journal line into the entries (each id once) or the writes' attempts (the latest of each); false when it is neither. */
export function readLine(text: string, found: Map<string, Waiting>, attempts: Map<string, Attempt>): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return false;
  }
  if (!isRecord(parsed)) return false;
  if (Array.isArray(parsed.attempts)) {
    for (const a of parsed.attempts as unknown[]) {
      const at = attemptOf(Array.isArray(a) ? a.slice(1) : undefined);
      if (at && Array.isArray(a) && typeof a[0] === 'string') attempts.set(a[0], later(attempts.get(a[0]), at) as Attempt);
    }
    return true;
  }
  const event = eventOf(parsed.audit);
  if (event === undefined || typeof parsed.id !== 'string') return false;
  const copy = found.get(parsed.id);
  if (copy) copy.attempt = later(copy.attempt, attemptOf(parsed.attempt));
  else found.set(parsed.id, { event, attempt: attemptOf(parsed.attempt), id: parsed.id, done: undefined, failed: undefined });
  return true;
}

/**
 * The later of two writes of one entry: the one at the higher seq. Each write is made only once the one
 * before it was found absent under the chain's lock, at the head of the chain then, so a later write
 * never sits lower (at the same seq, the entry and its hash are the same).
 */
export function later(a: Attempt | undefined, b: Attempt | undefined): Attempt | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return b.seq >= a.seq ? b : a;
}

function attemptOf(value: unknown): Attempt | undefined {
  if (!Array.isArray(value) || !Number.isSafeInteger(value[0]) || typeof value[1] !== 'string') return undefined;
  return { seq: value[0] as number, hash: value[1] };
}

function eventOf(value: unknown): TimedEvent | undefined {
  if (!isRecord(value)) return undefined;
  const { ts, actor, action, subject, details } = value;
  if (!Number.isFinite(ts) || typeof actor !== 'string' || typeof action !== 'string' || typeof subject !== 'string' || !isRecord(details)) return undefined;
  return { ts: ts as number, actor, action, subject, details };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
