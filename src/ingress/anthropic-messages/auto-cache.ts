import type { CacheControl, ChatRequest, Message } from '../../core/types.js';
import { cacheControlOf, fail } from './check.js';

/*
 * Automatic prompt caching: a top-level `cache_control`, which the API turns into a breakpoint on the
 * request's last cacheable block (tools, system, then messages; thinking and empty text cannot carry
 * one, so it walks back past them). It is refused here as the API refuses it, so every upstream sees
 * the same rules, Bedrock's cache points included (which this door cannot see refused after sending):
 * it takes one of the 4 breakpoint slots, a last block already marked with another ttl is a 400, and a
 * one-hour breakpoint may not come after a five-minute one.
 */

/** The Messages API's limit on breakpoints, the automatic one included. */
const MAX_BREAKPOINTS = 4;

/** Where the last cacheable block is, and its own hint if it has one. */
interface LastBlock {
  hint: CacheControl | undefined;
}

const ttlOf = (cc: CacheControl): '5m' | '1h' => cc.ttl ?? '5m';

/** The last block of a message that can carry a breakpoint, or undefined when it has none. */
function lastInMessage(m: Message): LastBlock | undefined {
  // A tool result is one block; the door put its own hint on its last part.
  if (m.role === 'tool') return { hint: m.content.at(-1)?.cacheControl };
  for (let j = m.content.length - 1; j >= 0; j--) {
    const part = m.content[j];
    if (part === undefined || part.type === 'reasoning' || part.type === 'redacted-reasoning') continue;
    if (part.type === 'text' && part.text.trim() === '') continue;
    return { hint: part.cacheControl };
  }
  return undefined;
}

/** The block the automatic breakpoint goes on: the conversation's last cacheable one (the system prompt is its first message), else the last tool. */
function lastCacheable(request: ChatRequest): LastBlock | undefined {
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const m = request.messages[i];
    const last = m === undefined ? undefined : lastInMessage(m);
    if (last) return last;
  }
  const tool = request.tools?.at(-1);
  return tool ? { hint: tool.cacheControl } : undefined;
}

/** Every block-level hint of the request, in prompt order (tools, then the conversation). */
function explicitHints(request: ChatRequest): CacheControl[] {
  const out: CacheControl[] = [];
  for (const t of request.tools ?? []) if (t.cacheControl) out.push(t.cacheControl);
  for (const m of request.messages) for (const p of m.content) if ('cacheControl' in p && p.cacheControl) out.push(p.cacheControl);
  return out;
}

/**
 * Reads the request's top-level `cache_control` onto the decoded request (`request.cacheControl`),
 * refusing what the API refuses of it, with the parameter named as the API names it.
 */
export function automaticCache(body: Record<string, unknown>, request: ChatRequest): void {
  const cc = cacheControlOf(body, '');
  if (!cc) return;
  const explicit = explicitHints(request);
  const last = lastCacheable(request);
  if (last?.hint) {
    // Already marked: the same ttl makes the automatic breakpoint a no-op, another one is refused.
    if (ttlOf(last.hint) !== ttlOf(cc)) fail('cache_control.ttl', `is '${ttlOf(cc)}', but the last cacheable block, where the automatic breakpoint goes, has its own cache_control with ttl '${ttlOf(last.hint)}'`);
  } else if (last) {
    if (explicit.length >= MAX_BREAKPOINTS) fail('cache_control', `A maximum of ${MAX_BREAKPOINTS} blocks with cache_control may be provided, and the automatic breakpoint needs one of them; found ${explicit.length} on blocks`);
    if (ttlOf(cc) === '1h' && explicit.some((h) => ttlOf(h) === '5m')) fail('cache_control.ttl', "is '1h', but the automatic breakpoint comes last, after a cache_control with ttl '5m': a longer ttl must come before a shorter one");
  }
  request.cacheControl = cc;
}
