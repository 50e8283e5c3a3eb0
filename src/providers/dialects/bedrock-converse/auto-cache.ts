import type { CacheControl, ToolDefinition, Warning } from '../../../core/types.js';
import { unsupported } from '../anthropic-messages/claude-generation.js';
import { cachePoint, type CacheContext } from './encode-messages.js';
import type { ContentBlock, ConverseMessage, SystemBlock } from './wire.js';

/*
 * Automatic caching (a request-level cache hint) on Converse, which has no such field (Anthropic's
 * prompt-caching guide: automatic caching works everywhere but the legacy Bedrock integration, which
 * answers a top-level `cache_control` with a 400). Its documented equivalent is sent instead: a cache point right after the block the API would put the breakpoint on, the last
 * cacheable one (walking back past reasoning, which cannot carry one), in the turns, else the system
 * prompt. Like the API: no-op where that block already ends with a cache point, one of the 4 points.
 */

/** Bedrock's limit on cache points in one request, as the Messages API's on breakpoints. */
const MAX_CACHE_POINTS = 4;

const isPoint = (b: ContentBlock | SystemBlock): boolean => 'cachePoint' in b;

/** Where in `blocks` the last block that may carry a breakpoint is, or -1. */
function lastCacheable(blocks: ReadonlyArray<ContentBlock | SystemBlock>): number {
  for (let j = blocks.length - 1; j >= 0; j--) {
    const b = blocks[j] as ContentBlock;
    if (!isPoint(b) && !('reasoningContent' in b)) return j;
  }
  return -1;
}

export interface AutomaticCacheTarget {
  system: SystemBlock[];
  messages: ConverseMessage[];
  tools: readonly ToolDefinition[] | undefined;
  /** The system prompt's cache point the deployment adds (`cache_system_prompt`), which takes a slot too. */
  systemPointAdded: boolean;
}

function pointsIn(target: AutomaticCacheTarget, cache: CacheContext): number {
  let n = target.system.filter(isPoint).length + (target.systemPointAdded ? 1 : 0);
  for (const m of target.messages) n += m.content.filter(isPoint).length;
  if (cache.points.tools) for (const t of target.tools ?? []) if (t.cacheControl) n += 1;
  return n;
}

/** The blocks (a turn's, else the system prompt's) and index the automatic breakpoint goes after, or undefined. */
function targetOf(target: AutomaticCacheTarget): { blocks: Array<ContentBlock | SystemBlock>; at: number } | undefined {
  for (let i = target.messages.length - 1; i >= 0; i--) {
    const blocks = (target.messages[i] as ConverseMessage).content;
    const at = lastCacheable(blocks);
    if (at >= 0) return { blocks, at };
  }
  const at = lastCacheable(target.system);
  return at >= 0 ? { blocks: target.system, at } : undefined;
}

/**
 * Places the automatic breakpoint `hint` as a cache point in `target` (mutated), or returns the
 * Warning saying why it was not sent: a model without cache points in messages, or no slot left.
 */
export function placeAutomaticCachePoint(hint: CacheControl, target: AutomaticCacheTarget, cache: CacheContext): Warning | undefined {
  if (!cache.points.messages) return unsupported('cacheControl', "This Bedrock model takes no cache points in its conversation; the request's automatic cache_control was not sent.");
  const place = targetOf(target);
  // Nothing to cache in the prompt (the API then skips caching), or a block already marked (a no-op).
  const next = place?.blocks[place.at + 1];
  if (place === undefined || (next !== undefined && isPoint(next))) return undefined;
  if (pointsIn(target, cache) >= MAX_CACHE_POINTS) {
    return unsupported('cacheControl', `Bedrock takes at most ${MAX_CACHE_POINTS} cache points and the request already holds as many; its automatic cache_control was not sent.`);
  }
  place.blocks.splice(place.at + 1, 0, cachePoint(hint, cache));
  return undefined;
}
