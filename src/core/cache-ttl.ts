import type { CacheControl, ChatRequest } from './types.js';

/** How long a prompt-cache write lives (Anthropic's `ttl`). */
export type CacheTtl = NonNullable<CacheControl['ttl']>;

/**
 * The longest ttl among a request's prompt-cache hints (its parts', its tools' and its automatic one),
 * undefined when it has none. A one-hour write costs more than a five-minute one (2x input on Claude,
 * not 1.25x), so budget admission reserves the prompt of a request asking for one at that price.
 */
export function longestCacheTtl(request: ChatRequest): CacheTtl | undefined {
  let longest: CacheTtl | undefined;
  const see = (hint: CacheControl | undefined): void => {
    if (hint && longest !== '1h') longest = hint.ttl ?? '5m';
  };
  see(request.cacheControl);
  for (const tool of request.tools ?? []) see(tool.cacheControl);
  for (const message of request.messages) for (const part of message.content) if ('cacheControl' in part) see(part.cacheControl);
  return longest;
}
