/**
 * Converse's cache points (Bedrock's prompt-caching guide and the CachePointBlock reference): a
 * `cachePoint` block of `type: 'default'` with an optional `ttl` of '5m' or '1h', in the tools, the
 * system prompt and the messages; at most 4 in a request; their ttls never growing along the prompt
 * (toolConfig, then system, then messages). The prompt up to the last one is what the cache holds.
 */

type Json = Record<string, unknown>;

const MAX_CACHE_POINTS = 4;

const objects = (v: unknown): Json[] => (Array.isArray(v) ? v.filter((b): b is Json => typeof b === 'object' && b !== null && !Array.isArray(b)) : []);

/** The request's blocks in prompt order: tools, system, then each message's content. */
function promptBlocks(body: Json): Json[] {
  const tools = objects((body.toolConfig as Json | undefined)?.tools);
  const turns = objects(body.messages).flatMap((m) => objects(m.content));
  return [...tools, ...objects(body.system), ...turns];
}

/** The ValidationException message for the request's cache points, or undefined. */
export function cachePointProblem(body: Json): string | undefined {
  const points = promptBlocks(body)
    .map((b) => b.cachePoint)
    .filter((p) => p !== undefined);
  let longest = '1h';
  for (const p of points) {
    const point = (typeof p === 'object' && p !== null ? p : {}) as Json;
    if (point.type !== 'default') return "Malformed input request: cachePoint.type must be 'default', please reformat your input and try again.";
    if (point.ttl !== undefined && point.ttl !== '5m' && point.ttl !== '1h') return "Malformed input request: cachePoint.ttl must be '5m' or '1h', please reformat your input and try again.";
    const ttl = point.ttl === '1h' ? '1h' : '5m';
    if (ttl === '1h' && longest === '5m') return 'A cache point with a 1h TTL cannot come after a cache point with a 5m TTL: cache point TTLs must not increase across toolConfig, system and messages.';
    longest = ttl;
  }
  return points.length > MAX_CACHE_POINTS ? `The request has ${points.length} cache points; a maximum of ${MAX_CACHE_POINTS} is allowed.` : undefined;
}

/** The text a block adds to the prompt (a tool result's content's text). */
function textOf(b: Json): string {
  if (typeof b.text === 'string') return b.text;
  const result = b.toolResult as Json | undefined;
  return result === undefined ? '' : objects(result.content).map(textOf).join('');
}

/** The system and message text up to the request's last cache point, or undefined when it has none there. */
export function cachedPrefix(body: Json): string | undefined {
  let text = '';
  let cached: string | undefined;
  for (const b of [...objects(body.system), ...objects(body.messages).flatMap((m) => objects(m.content))]) {
    if (b.cachePoint !== undefined) cached = text;
    else text += textOf(b);
  }
  return cached;
}
