import type { Message } from '../../../core/types.js';
import type { ConversationStore, StoredAnswer, StoredConversation, StoredResponse } from './store.js';

interface Entry {
  owner: string;
  expiresAt: number;
  messages: readonly Message[];
  residency: string | undefined;
  answer: StoredAnswer;
}

/**
 * Conversations in this process, for gateways without a ledger database. One retention for all, so
 * the Map's insertion order is expiry order: a sweep stops at the first live entry. `serve` keeps one
 * across reloads, each reload's config setting its limits (`limit`).
 */
export class MemoryConversationStore implements ConversationStore {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private retentionMs: number,
    private maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * New limits (a reload's config): the retention applies to what is stored from now on (an entry
   * keeps the expiry it was saved with, so insertion order stays expiry order only approximately, and
   * a sweep may stop early: it only delays freeing memory); a lower cap drops the oldest at once.
   */
  limit(retentionMs: number, maxEntries: number): void {
    this.retentionMs = retentionMs;
    this.maxEntries = maxEntries;
    this.trim();
  }

  save(id: string, owner: string, stored: StoredResponse): Promise<void> {
    this.sweep();
    this.entries.delete(id);
    const { messages, residency, response, inputItems } = stored;
    this.entries.set(id, { owner, expiresAt: this.now() + this.retentionMs, messages, residency, answer: { response, inputItems } });
    this.trim();
    return Promise.resolve();
  }

  private trim(): void {
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }

  load(id: string, owner: string): Promise<StoredConversation | undefined> {
    const e = this.live(id, owner);
    return Promise.resolve(e && { messages: [...e.messages], residency: e.residency });
  }

  answered(id: string, owner: string): Promise<StoredAnswer | undefined> {
    return Promise.resolve(this.live(id, owner)?.answer);
  }

  delete(id: string, owner: string): Promise<boolean> {
    return Promise.resolve(this.live(id, owner) !== undefined && this.entries.delete(id));
  }

  get size(): number {
    return this.entries.size;
  }

  private live(id: string, owner: string): Entry | undefined {
    const e = this.entries.get(id);
    return e !== undefined && e.owner === owner && e.expiresAt > this.now() ? e : undefined;
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, e] of this.entries) {
      if (e.expiresAt > now) break;
      this.entries.delete(id);
    }
  }
}
