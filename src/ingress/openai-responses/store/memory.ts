import type { Message } from '../../../core/types.js';
import type { ResponsesConfig } from '../config.js';
import { IN_FLIGHT_MS, type AnswerInProgress, type ConversationStore, type Failed, type InProgress, type StoredAnswer, type StoredConversation, type StoredResponse } from './store.js';

interface Entry {
  owner: string;
  expiresAt: number;
  /** Undefined for a response whose stream failed: there is no answer to continue from. */
  messages: readonly Message[] | undefined;
  residency: string | undefined;
  answer: StoredAnswer;
  /** About how much memory it holds (`roughBytes`), counted against `maxBytes`. */
  bytes: number;
}

/**
 * A response under way (`begin`): its in-progress Response object and input items; a tombstone once a
 * DELETE found it (`begun` then undefined), so its `finish` keeps nothing. Not counted against
 * `maxBytes`: it lasts as long as its stream, whose request is in memory anyway.
 */
interface Mark {
  owner: string;
  expiresAt: number;
  begun: StoredAnswer | undefined;
}

/** What bounds a memory store: how long an entry lives, how many are kept and about how many bytes they hold. */
export interface MemoryLimits {
  retentionMs: number;
  maxEntries: number;
  maxBytes: number;
}

/** The limits `responses.store` sets. */
export function memoryLimits(cfg: ResponsesConfig['store']): MemoryLimits {
  return { retentionMs: cfg.retention_hours * 3_600_000, maxEntries: cfg.max_memory_responses, maxBytes: cfg.max_memory_bytes };
}

/**
 * About how many bytes a value holds: its strings' characters (base64 images and text are what
 * weigh) and a few for anything else. Walked rather than serialised: no copy of a large image is made.
 */
export function roughBytes(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (typeof value !== 'object' || value === null) return 8;
  let n = 16;
  if (Array.isArray(value)) {
    for (const v of value) n += roughBytes(v);
    return n;
  }
  const row = value as Record<string, unknown>;
  for (const k in row) n += k.length + roughBytes(row[k]);
  return n;
}

/**
 * Conversations in this process, for gateways without a ledger database. One retention for all, so
 * the Map's insertion order is expiry order: a sweep stops at the first live entry. Bounded by count
 * and by bytes (input images are kept twice: in the conversation and in the input items), the oldest
 * dropped first. `serve` keeps one across reloads, each reload's config setting its limits (`limit`).
 */
export class MemoryConversationStore implements ConversationStore {
  private readonly entries = new Map<string, Entry>();
  private readonly marks = new Map<string, Mark>();
  private bytes = 0;

  constructor(
    private limits: MemoryLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * New limits (a reload's config): the retention applies to what is stored from now on (an entry
   * keeps the expiry it was saved with, so insertion order stays expiry order only approximately, and
   * a sweep may stop early: it only delays freeing memory); lower caps drop the oldest at once.
   */
  limit(limits: MemoryLimits): void {
    this.limits = limits;
    this.trim();
  }

  save(id: string, owner: string, stored: StoredResponse): Promise<void> {
    return this.keep(id, owner, stored.messages, stored.residency, { response: stored.response, inputItems: stored.inputItems });
  }

  begin(id: string, owner: string, begun: StoredAnswer): Promise<void> {
    const now = this.now();
    // Marks live as long as each other, so the first live one ends the sweep.
    for (const [markId, m] of this.marks) {
      if (m.expiresAt > now) break;
      this.marks.delete(markId);
    }
    this.marks.set(id, { owner, expiresAt: now + IN_FLIGHT_MS, begun });
    return Promise.resolve();
  }

  async finish(id: string, owner: string, stored: StoredResponse): Promise<boolean> {
    if (!this.takeMark(id, owner)) return false;
    await this.save(id, owner, stored);
    return true;
  }

  async fail(id: string, owner: string, failed: StoredAnswer): Promise<boolean> {
    if (!this.takeMark(id, owner)) return false;
    await this.keep(id, owner, undefined, undefined, failed);
    return true;
  }

  abandon(id: string, owner: string): Promise<void> {
    if (this.marks.get(id)?.owner === owner) this.marks.delete(id);
    return Promise.resolve();
  }

  load(id: string, owner: string): Promise<StoredConversation | InProgress | Failed | undefined> {
    const e = this.live(id, owner);
    if (e) return Promise.resolve(e.messages === undefined ? { failed: true } : { messages: [...e.messages], residency: e.residency });
    return Promise.resolve(this.streaming(id, owner) === undefined ? undefined : { inProgress: true });
  }

  answered(id: string, owner: string): Promise<StoredAnswer | AnswerInProgress | undefined> {
    const e = this.live(id, owner);
    if (e) return Promise.resolve(e.answer);
    const begun = this.streaming(id, owner);
    return Promise.resolve(begun === undefined ? undefined : { inProgress: true, ...begun });
  }

  delete(id: string, owner: string): Promise<boolean> {
    if (this.live(id, owner) !== undefined) return Promise.resolve(this.drop(id));
    const mark = this.marks.get(id);
    if (mark === undefined || this.streaming(id, owner) === undefined) return Promise.resolve(false);
    // The tombstone: its stream's `finish` keeps nothing, and reads no longer find it.
    mark.begun = undefined;
    return Promise.resolve(true);
  }

  get size(): number {
    return this.entries.size;
  }

  /** About how many bytes the stored responses hold (`roughBytes`). */
  get heldBytes(): number {
    return this.bytes;
  }

  /** Keeps an answer (and its conversation, undefined for a failed one) until the retention ends, within the caps. */
  private keep(id: string, owner: string, messages: readonly Message[] | undefined, residency: string | undefined, answer: StoredAnswer): Promise<void> {
    this.sweep();
    this.drop(id);
    const { response, inputItems } = answer;
    const bytes = (messages === undefined ? 0 : roughBytes(messages)) + response.length + inputItems.length;
    // Kept, it would push out everything else and still not fit.
    if (bytes > this.limits.maxBytes) return Promise.reject(new Error(`the response holds about ${bytes} bytes, more than responses.store.max_memory_bytes`));
    this.entries.set(id, { owner, expiresAt: this.now() + this.limits.retentionMs, messages, residency, answer: { response, inputItems }, bytes });
    this.bytes += bytes;
    this.trim();
    return Promise.resolve();
  }

  /** Takes `owner`'s mark of `id` off; true when its stream may still be kept (not deleted meanwhile, not expired). */
  private takeMark(id: string, owner: string): boolean {
    const mark = this.marks.get(id);
    if (mark?.owner !== owner) return false;
    this.marks.delete(id);
    return mark.begun !== undefined && mark.expiresAt > this.now();
  }

  private live(id: string, owner: string): Entry | undefined {
    const e = this.entries.get(id);
    return e !== undefined && e.owner === owner && e.expiresAt > this.now() ? e : undefined;
  }

  /** The in-progress Response and input items of `owner`'s stream `id` while it runs, not deleted and not expired. */
  private streaming(id: string, owner: string): StoredAnswer | undefined {
    const mark = this.marks.get(id);
    return mark !== undefined && mark.owner === owner && mark.expiresAt > this.now() ? mark.begun : undefined;
  }

  private drop(id: string): boolean {
    const e = this.entries.get(id);
    if (e === undefined) return false;
    this.bytes -= e.bytes;
    return this.entries.delete(id);
  }

  private trim(): void {
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.limits.maxEntries && this.bytes <= this.limits.maxBytes) break;
      this.drop(oldest);
    }
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, e] of this.entries) {
      if (e.expiresAt > now) break;
      this.drop(id);
    }
  }
}
