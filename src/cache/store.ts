import type { ChatResponse } from '../core/types.js';

/** A cached answer and who first gave it (for the ledger's saved cost and the served-by headers). */
export interface CachedAnswer {
  response: ChatResponse;
  deployment: string;
  provider: string;
  model: string;
  region: string | undefined;
}

/**
 * True when a stored value is an answer of today's shape (canonical content parts). Entries another
 * version wrote (an OpenAI-shaped `message`, say) are misses rather than answers that break a replay.
 */
export function isCachedAnswer(value: unknown): value is CachedAnswer {
  if (typeof value !== 'object' || value === null) return false;
  const { response, deployment } = value as Partial<Record<keyof CachedAnswer, unknown>>;
  if (typeof deployment !== 'string' || typeof response !== 'object' || response === null) return false;
  const r = response as Partial<Record<keyof ChatResponse, unknown>>;
  return Array.isArray(r.content) && typeof r.finishReason === 'string' && typeof r.usage === 'object' && r.usage !== null && r.content.every(isPart);
}

function isPart(p: unknown): boolean {
  return typeof p === 'object' && p !== null && typeof (p as { type?: unknown }).type === 'string';
}

/** Where cached answers live: this process (LRU) or Redis. Failures are the caller's to swallow. */
export interface ResponseCacheStore {
  get(key: string): Promise<CachedAnswer | undefined>;
  set(key: string, answer: CachedAnswer, ttlMs: number): Promise<void>;
  close(): Promise<void>;
}

/** An LRU of answers in memory with a TTL per entry (a Map's insertion order is its recency order). */
export class MemoryResponseCache implements ResponseCacheStore {
  private readonly entries = new Map<string, { answer: CachedAnswer; expiresAt: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string): Promise<CachedAnswer | undefined> {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    if (e.expiresAt <= this.now()) return undefined;
    this.entries.set(key, e);
    return e.answer;
  }

  async set(key: string, answer: CachedAnswer, ttlMs: number): Promise<void> {
    this.entries.delete(key);
    this.entries.set(key, { answer, expiresAt: this.now() + ttlMs });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  get size(): number {
    return this.entries.size;
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}
