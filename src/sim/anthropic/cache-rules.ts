/**
 * The Messages API's prompt-caching rules (Anthropic's prompt-caching guide), shared by the Anthropic
 * and Vertex simulators: `cache_control` is `{type: 'ephemeral', ttl?: '5m' | '1h'}` on a block or, for
 * automatic caching, on the request; the automatic breakpoint goes on the last cacheable block (not
 * thinking, not empty text), a no-op where that block is marked with the same ttl and a 400 where with
 * another; at most 4 breakpoints in all; a one-hour breakpoint never after a five-minute one.
 */

type Json = Record<string, unknown>;

const MAX_BREAKPOINTS = 4;
const SKIPPED = new Set(['thinking', 'redacted_thinking']);

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const blocksOf = (content: unknown): Json[] => (typeof content === 'string' ? [{ type: 'text', text: content }] : Array.isArray(content) ? content.filter(isObject) : []);

/** A (present) cache_control's problem, in the API's words, or undefined. */
function shapeProblem(cc: unknown, where: string): string | undefined {
  if (!isObject(cc) || cc.type !== 'ephemeral') return `${where}.type: Input should be 'ephemeral'`;
  for (const key of Object.keys(cc)) if (key !== 'type' && key !== 'ttl') return `${where}.${key}: Extra inputs are not permitted`;
  return cc.ttl === undefined || cc.ttl === '5m' || cc.ttl === '1h' ? undefined : `${where}.ttl: Input should be '5m' or '1h'`;
}

const ttlOf = (cc: Json): string => (cc.ttl === '1h' ? '1h' : '5m');

/** A block's own mark; a tool result's is also its last inner block's (where its end is marked). */
function markOf(block: Json): unknown {
  if (block.cache_control !== undefined && block.cache_control !== null) return block.cache_control;
  if (block.type !== 'tool_result' || !Array.isArray(block.content)) return undefined;
  const last = (block.content as unknown[]).at(-1);
  return isObject(last) ? (last.cache_control ?? undefined) : undefined;
}

/** Every block-level mark in prompt order (tools, system, messages, tool results' inner blocks), with where it is. */
function marks(body: Json): Array<{ cc: unknown; where: string }> {
  const out: Array<{ cc: unknown; where: string }> = [];
  const add = (b: Json, where: string): void => {
    if (b.cache_control !== undefined && b.cache_control !== null) out.push({ cc: b.cache_control, where: `${where}.cache_control` });
  };
  (Array.isArray(body.tools) ? body.tools.filter(isObject) : []).forEach((t, i) => add(t, `tools.${i}`));
  (Array.isArray(body.system) ? body.system.filter(isObject) : []).forEach((b, i) => add(b, `system.${i}`));
  (Array.isArray(body.messages) ? body.messages.filter(isObject) : []).forEach((m, i) =>
    blocksOf(m.content).forEach((b, j) => {
      add(b, `messages.${i}.content.${j}`);
      if (b.type === 'tool_result') blocksOf(b.content).forEach((c, k) => add(c, `messages.${i}.content.${j}.content.${k}`));
    }),
  );
  return out;
}

/** The block the automatic breakpoint goes on (messages from the end, then system, then tools), or undefined. */
function lastCacheable(body: Json): Json | undefined {
  const messages = Array.isArray(body.messages) ? body.messages.filter(isObject) : [];
  const system = typeof body.system === 'string' ? blocksOf(body.system) : Array.isArray(body.system) ? body.system.filter(isObject) : [];
  const tools = Array.isArray(body.tools) ? body.tools.filter(isObject) : [];
  const lists = [...messages.map((m) => blocksOf(m.content)).reverse(), system, tools];
  for (const list of lists) {
    for (let j = list.length - 1; j >= 0; j--) {
      const b = list[j] as Json;
      if (SKIPPED.has(String(b.type)) || (b.type === 'text' && b.text === '')) continue;
      return b;
    }
  }
  return undefined;
}

/** The 400 message for the request's caching, or undefined. */
export function cacheProblem(body: Json): string | undefined {
  const found = marks(body);
  for (const { cc, where } of found) {
    const problem = shapeProblem(cc, where);
    if (problem) return problem;
  }
  const ttls = found.map(({ cc }) => ttlOf(cc as Json));
  const auto = body.cache_control;
  if (auto !== undefined && auto !== null) {
    const problem = shapeProblem(auto, 'cache_control');
    if (problem) return problem;
    const target = lastCacheable(body);
    const own = target === undefined ? undefined : markOf(target);
    if (isObject(own) && ttlOf(own) !== ttlOf(auto as Json)) return `cache_control: the automatic cache breakpoint's ttl '${ttlOf(auto as Json)}' conflicts with the cache_control ttl '${ttlOf(own)}' on the last cacheable block`;
    if (target !== undefined && own === undefined) ttls.push(ttlOf(auto as Json));
  }
  if (ttls.length > MAX_BREAKPOINTS) return `A maximum of ${MAX_BREAKPOINTS} blocks with cache_control may be provided. Found ${ttls.length}.`;
  const fiveMinutes = ttls.indexOf('5m');
  if (fiveMinutes >= 0 && ttls.lastIndexOf('1h') > fiveMinutes) return "a cache_control block with ttl='1h' must not come after a cache_control block with ttl='5m'";
  return undefined;
}
