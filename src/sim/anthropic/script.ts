import { countTokens, readTurns, scriptAnswer, type ScriptFormat, type ScriptInput, type ScriptToolChoice, type Turn } from '../answer.js';

type Json = Record<string, unknown>;

function blocksOf(content: unknown): Json[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? (content as Json[]) : [];
}

function textOf(content: unknown): string {
  return blocksOf(content)
    .filter((b) => b.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text as string)
    .join('');
}

/** The system prompt's text, whether a string or text blocks. */
export function systemText(system: unknown): string {
  return system === undefined ? '' : textOf(system);
}

/**
 * Reads a (validated) Messages body into the shared script input, as the OpenAI simulator does. A final
 * assistant message is a prefill: the answer continues it.
 */
export function anthropicScriptInput(body: Json, model: string): ScriptInput {
  const system = systemText(body.system);
  let lastUser = '';
  let promptText = system;
  let images = 0;
  let toolResults: string[] = [];
  const turns: Turn[] = [];
  for (const m of body.messages as Json[]) {
    const blocks = blocksOf(m.content);
    const text = textOf(blocks);
    promptText += text;
    turns.push({ role: m.role === 'assistant' ? 'assistant' : 'user', text });
    if (m.role === 'assistant') {
      toolResults = [];
      continue;
    }
    images += blocks.filter((b) => b.type === 'image').length;
    const results = blocks.filter((b) => b.type === 'tool_result').map((b) => textOf(b.content));
    for (const r of results) promptText += r;
    // Like an OpenAI user message after tool messages: new user text starts a fresh question.
    if (text !== '') {
      lastUser = text;
      toolResults = [];
    } else toolResults = results;
  }
  const choice = body.tool_choice as Json | undefined;
  const tools = (Array.isArray(body.tools) ? (body.tools as Json[]) : []).map((t) => ({ name: String(t.name) }));
  const { continues, lastUser: asked } = readTurns(turns, true);
  return {
    model,
    system,
    lastUser: continues === undefined ? lastUser : asked,
    continues,
    toolResults,
    promptText,
    images,
    tools,
    maxTokens: body.max_tokens as number,
    stop: Array.isArray(body.stop_sequences) ? (body.stop_sequences as string[]) : [],
    reason: thinkingRequested(body.thinking),
    toolChoice: toolChoiceOf(choice),
    parallelToolCalls: choice?.disable_parallel_tool_use === true ? false : undefined,
    format: formatOf(body.output_config),
  };
}

/** Anthropic's tool_choice (validated): `any` forces a call, `tool` the named one. */
function toolChoiceOf(choice: Json | undefined): ScriptToolChoice | undefined {
  switch (choice?.type) {
    case 'none':
      return 'none';
    case 'any':
      return 'required';
    case 'tool':
      return { name: String(choice.name) };
    default:
      return undefined;
  }
}

/** Structured outputs: `output_config.format` of type json_schema (the SDK's `JSONOutputFormat`), which validate.ts checks. */
function formatOf(config: unknown): ScriptFormat | undefined {
  const format = typeof config === 'object' && config !== null ? (config as Json).format : undefined;
  return typeof format === 'object' && format !== null && (format as Json).type === 'json_schema' ? { type: 'json_schema', schema: (format as Json).schema } : undefined;
}

function hasCacheControl(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'cache_control' in value;
}

function isOneHour(block: Json): boolean {
  const cc = block.cache_control;
  return typeof cc === 'object' && cc !== null && (cc as Json).ttl === '1h';
}

/** The prompt prefix a request asks to cache, and the part of it asked to be kept for an hour. */
export interface CachePrefix {
  text: string;
  /** `text` up to its last `ttl: "1h"` mark (the API takes one-hour marks before five-minute ones). */
  oneHour: string;
}

/**
 * The prompt prefix a request asks to cache: all of it with a top-level `cache_control` (automatic
 * caching), else up to its last `cache_control` mark (system, then messages), or the whole system prompt when it contains "[cache]" (the marker the other simulators
 * use). Empty when nothing is to be cached.
 */
export function cachePrefix(body: Json): CachePrefix {
  let prefix = '';
  let marked = '';
  let oneHour = '';
  const mark = (b: Json): void => {
    if (!hasCacheControl(b)) return;
    marked = prefix;
    if (isOneHour(b)) oneHour = prefix;
  };
  for (const b of Array.isArray(body.system) ? (body.system as Json[]) : []) {
    prefix += typeof b.text === 'string' ? b.text : '';
    mark(b);
  }
  if (typeof body.system === 'string') prefix = body.system;
  for (const m of body.messages as Json[]) {
    for (const b of blocksOf(m.content)) {
      prefix += b.type === 'text' && typeof b.text === 'string' ? b.text : b.type === 'tool_result' ? textOf(b.content) : '';
      mark(b);
    }
  }
  // Automatic caching: a breakpoint on the last cacheable block, which ends the whole prefix.
  const auto = body.cache_control;
  if (typeof auto === 'object' && auto !== null && prefix !== '') return { text: prefix, oneHour: (auto as Json).ttl === '1h' ? prefix : oneHour };
  if (marked !== '') return { text: marked, oneHour };
  const system = systemText(body.system);
  return { text: system.includes('[cache]') ? system : '', oneHour: '' };
}

/** What one request did with the prompt cache, in tokens; `write1h` is the part of `write` kept for an hour. */
export interface CacheUse {
  write: number;
  write1h: number;
  read: number;
}

/**
 * A prompt cache: the first request with a prefix writes it (cache_creation_input_tokens, split by TTL
 * in cache_creation), later ones read it (cache_read_input_tokens). Unlike the real API there is no
 * minimum length, and entries do not expire.
 */
export class PromptCache {
  private readonly seen = new Set<string>();

  /** Token counts of the cached prefix of one request. */
  use(model: string, prefix: CachePrefix): CacheUse {
    if (prefix.text === '') return { write: 0, write1h: 0, read: 0 };
    const tokens = countTokens(prefix.text);
    const key = `${model}\u0000${prefix.text}`;
    if (this.seen.has(key)) return { write: 0, write1h: 0, read: tokens };
    // Bounded so a long-running simulator (benchmarks) does not grow without limit.
    if (this.seen.size >= 10_000) this.seen.clear();
    this.seen.add(key);
    return { write: tokens, write1h: prefix.oneHour === '' ? 0 : Math.min(countTokens(prefix.oneHour), tokens), read: 0 };
  }
}

/** Anthropic's `thinking` setting as the script reads it: on, off, or not said. */
export function thinkingRequested(thinking: unknown): boolean | undefined {
  if (typeof thinking !== 'object' || thinking === null) return undefined;
  const type = (thinking as Json).type;
  return type === 'enabled' || type === 'adaptive';
}

/** The input tokens of a Messages body as the scripted model counts them (the count_tokens endpoints). */
export function countInputTokens(body: Json, model: string): number {
  const input = anthropicScriptInput(body, model);
  return countTokens(input.promptText) + input.images * 85;
}

/** Which stop sequence ended the answer: the one found earliest in the untruncated text. */
export function matchedStop(body: Json, model: string, stops: string[]): string | null {
  const full = scriptAnswer({ ...anthropicScriptInput(body, model), stop: [], maxTokens: undefined }).chunks.join('');
  let best: string | null = null;
  let at = Infinity;
  for (const s of stops) {
    const i = s === '' ? -1 : full.indexOf(s);
    if (i !== -1 && i < at) {
      at = i;
      best = s;
    }
  }
  return best;
}
