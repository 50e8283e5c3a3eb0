import type { ChatResponse } from '../core/types.js';
import type { MemoryCacheLimits } from './config.js';

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

interface Entry {
  answer: CachedAnswer;
  expiresAt: number;
  /** What it counts against `max_bytes`: its key's and its JSON's length. */
  bytes: number;
}

/**
 * An LRU of answers in memory with a TTL per entry (a Map's insertion order is its recency order),
 * bounded by count and by bytes: the least recently used go first until both hold.
 */
export class MemoryResponseCache implements ResponseCacheStore {
  private readonly entries = new Map<string, Entry>();
  private held = 0;

  constructor(
    private readonly limits: MemoryCacheLimits,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string): Promise<CachedAnswer | undefined> {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    if (e.expiresAt <= this.now()) {
      this.held -= e.bytes;
      return undefined;
    }
    this.entries.set(key, e);
    return e.answer;
  }

  async set(key: string, answer: CachedAnswer, ttlMs: number): Promise<void> {
    this.remove(key);
    // The lower of the two bounds: an entry past max_bytes would be dropped at once, taking the others with it.
    const cap = Math.min(this.limits.max_entry_bytes, this.limits.max_bytes);
    const bytes = entryBytes(key, answer, cap);
    if (bytes > cap) return;
    this.entries.set(key, { answer, expiresAt: this.now() + ttlMs, bytes });
    this.held += bytes;
    while (this.entries.size > this.limits.max_entries || this.held > this.limits.max_bytes) this.remove(this.entries.keys().next().value as string);
  }

  get size(): number {
    return this.entries.size;
  }

  /** About how many bytes the answers held take (their keys' and JSON's length). */
  get bytes(): number {
    return this.held;
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.held = 0;
  }

  private remove(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.held -= e.bytes;
  }
}

/**
 * An entry's size: its JSON's length, what Redis would hold of it. An answer whose content strings
 * alone pass `cap` is over it without serialising megabytes only to throw them away.
 */
function entryBytes(key: string, answer: CachedAnswer, cap: number): number {
  const least = key.length + contentChars(answer);
  return least > cap ? least : key.length + JSON.stringify(answer).length;
}

/** The length of an answer's content strings: what its JSON is at least, known without writing it. */
export function contentChars(answer: CachedAnswer): number {
  let chars = 0;
  for (const p of answer.response.content) chars += p.type === 'text' || p.type === 'reasoning' ? p.text.length : p.type === 'tool-call' ? p.arguments.length : p.data.length;
  return chars;
}
