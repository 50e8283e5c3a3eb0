import { jsonInstance } from './json-instance.js';

/**
 * The deterministic "model" behind every simulator, so one conformance table gives the same answers on
 * every cloud. Each simulator maps its wire request into a ScriptInput and the Answer back to its wire.
 */

export interface ScriptTool {
  name: string;
}

/**
 * The form a request asks its answer in: any JSON object (OpenAI's `json_object`, Gemini's JSON mime
 * type without a schema), or JSON valid against a schema (structured outputs).
 */
export type ScriptFormat = { type: 'json_object' } | { type: 'json_schema'; schema: unknown };

/**
 * Which tools a request lets the model call: as the prompt asks (`auto`), none, at least one (OpenAI's
 * `required`, Anthropic's `any`, Gemini's `ANY`), or the one named.
 */
export type ScriptToolChoice = 'auto' | 'none' | 'required' | { name: string };

export interface ScriptInput {
  model: string;
  system: string;
  /** Text of the last user turn. */
  lastUser: string;
  /** Results of tool calls in the last turn, when the conversation is answering a tool call. */
  toolResults: string[];
  /** All prompt text (system, every turn), for token counting. */
  promptText: string;
  images: number;
  tools: ScriptTool[];
  maxTokens?: number;
  stop: string[];
  /**
   * Whether the request asked the model to reason, in its API's own words (Anthropic's `thinking`,
   * OpenAI's `reasoning_effort`, Gemini's `thinkingConfig`): true reasons, false never does, absent
   * leaves it to the prompt ("think step by step").
   */
  reason?: boolean;
  /**
   * Assistant text the answer continues: a prefilled final assistant turn where the API continues one,
   * or the assistant turn before a continuation instruction.
   */
  continues?: string;
  /** The JSON the answer must be; absent, free text. */
  format?: ScriptFormat;
  /** Absent: `auto`. */
  toolChoice?: ScriptToolChoice;
  /** False: one tool call at most (OpenAI's `parallel_tool_calls: false`, Anthropic's `disable_parallel_tool_use`). */
  parallelToolCalls?: boolean;
}

/** A conversation turn as the answer engine reads it. */
export interface Turn {
  role: 'user' | 'assistant';
  text: string;
}

/** What a model reads as "go on with your last answer" (the instruction Switchyard sends to resume a stream). */
const CONTINUE_INSTRUCTION = /^continue exactly where you stopped/i;

/**
 * The question and, when the answer is to continue an earlier assistant text, that text: a final
 * assistant turn where the API continues it (`prefill`), or the assistant turn a continuation
 * instruction follows, whose question is then the user turn before it.
 */
export function readTurns(turns: readonly Turn[], prefill: boolean): { lastUser: string; continues?: string } {
  const last = turns.at(-1);
  const asked = (end: number): string => turns.slice(0, end).findLast((t) => t.role === 'user' && t.text !== '')?.text ?? '';
  if (prefill && last?.role === 'assistant' && last.text !== '') return { lastUser: asked(turns.length - 1), continues: last.text };
  const before = turns.at(-2);
  if (last?.role === 'user' && CONTINUE_INSTRUCTION.test(last.text) && before?.role === 'assistant' && before.text !== '') {
    return { lastUser: asked(turns.length - 2), continues: before.text };
  }
  return { lastUser: asked(turns.length) };
}

/** One tool call of an answer: its id, the tool's name and the arguments as JSON text. */
export interface ScriptToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface Answer {
  /** Text chunks as they would stream. */
  chunks: string[];
  /** The answer's tool calls, in order (one, or one per tool for a parallel call); absent for a text answer. */
  toolCalls?: ScriptToolCall[];
  finish: 'stop' | 'length' | 'tool_calls' | 'stop_sequence';
  promptTokens: number;
  completionTokens: number;
  /** Tokens served from a prompt cache (prompts whose system text asks for it). */
  cachedTokens: number;
  /** Reasoning (thinking) chunks, before the answer, for prompts that ask to "think step by step". */
  reasoning?: string[];
  /** The part of `completionTokens` spent on reasoning. */
  reasoningTokens: number;
}

/** Roughly four characters a token, the usual rule of thumb; deterministic. */
export function countTokens(text: string): number {
  return text.length === 0 ? 0 : Math.ceil(text.length / 4);
}

const IMAGE_TOKENS = 85;

/**
 * Rules: a prompt containing "call the tool" with tools present produces a tool call to the first tool
 * with arguments {"query": <last user text>}; "call both tools" with two tools or more, a parallel call:
 * one call to each of the first two, in one answer; tool results are summarised; otherwise the simulator
 * answers "Hello from <model>! You said: <text>." in word chunks, honouring max tokens and stop
 * sequences. The tool choice is honoured as the APIs honour it: `none` calls nothing, `required` calls
 * the first tool when the prompt asks for none, a named tool is called whatever the prompt says (both
 * even after tool results, as a forced choice is), and without parallel calls one tool at most is. An
 * answer asked for as JSON is `{"answer": <that text>}` in JSON mode, and with a schema the minimal
 * instance of it (`json-instance.ts`), in pieces split after spaces, commas and colons. A prompt
 * containing "think step by step" first reasons, in word chunks counted into the completion tokens;
 * each simulator sends that reasoning in its API's own shape. An answer that continues earlier
 * assistant text (`continues`) is the rest of that answer after as many words as the earlier text has,
 * so a text cut from any model's answer goes on where it stopped.
 */
export function scriptAnswer(input: ScriptInput): Answer {
  const answer = scriptText(input);
  const reason = input.reason ?? /think step by step/i.test(input.lastUser);
  if (answer.toolCalls || input.continues !== undefined || !reason) return answer;
  const reasoning = `The user wrote "${input.lastUser}". A short friendly reply will do.`.split(/(?<= )/);
  const reasoningTokens = countTokens(reasoning.join(''));
  return { ...answer, reasoning, reasoningTokens, completionTokens: answer.completionTokens + reasoningTokens };
}

/** The words a simulated model declines with. */
export const REFUSAL_TEXT = "I'm sorry, I can't help with that.";

/**
 * A prompt that asks the model to "refuse to answer" is declined: the answer's chunks are the words of
 * the refusal, which a simulator whose API words a decline apart from the answer (OpenAI's `refusal`)
 * sends there; undefined for any other prompt.
 */
export function scriptRefusal(input: ScriptInput): Answer | undefined {
  if (!/refuse to answer/i.test(input.lastUser)) return undefined;
  const promptTokens = countTokens(input.promptText) + input.images * IMAGE_TOKENS;
  const cachedTokens = input.system.includes('[cache]') ? countTokens(input.system) : 0;
  return { chunks: REFUSAL_TEXT.split(/(?<= )/), finish: 'stop', promptTokens, completionTokens: countTokens(REFUSAL_TEXT), cachedTokens, reasoningTokens: 0 };
}

function scriptText(input: ScriptInput): Answer {
  const promptTokens = countTokens(input.promptText) + input.images * IMAGE_TOKENS;
  const cachedTokens = input.system.includes('[cache]') ? countTokens(input.system) : 0;
  const called = input.continues === undefined ? calledTools(input) : [];
  if (called.length > 0) {
    const args = JSON.stringify({ query: input.lastUser });
    // Ids unique per call: a parallel answer's results are paired with their calls by id, and a call
    // forced again after tool results is not the one they answered.
    const seed = `${input.lastUser}${input.toolResults.join('\u0000')}`;
    const toolCalls = called.map((tool, i) => ({ id: `call_${simpleHash(`${i === 0 ? '' : tool.name}${seed}`).toString(16)}`, name: tool.name, arguments: args }));
    const completionTokens = toolCalls.reduce((n, call) => n + countTokens(call.name + call.arguments), 0);
    return { chunks: [], toolCalls, finish: 'tool_calls', promptTokens, completionTokens, cachedTokens, reasoningTokens: 0 };
  }
  let text =
    input.toolResults.length > 0
      ? `The tool said: ${input.toolResults.join('; ')}.`
      : `Hello from ${input.model}! ${input.images > 0 ? `I see ${input.images} image(s). ` : ''}You said: ${input.lastUser}.`;
  if (input.format !== undefined) text = formatted(input.format, text);
  if (input.continues !== undefined) text = continuation(text, input.continues);
  let finish: Answer['finish'] = 'stop';
  for (const stop of input.stop) {
    const at = stop === '' ? -1 : text.indexOf(stop);
    if (at !== -1) {
      text = text.slice(0, at);
      finish = 'stop_sequence';
    }
  }
  let words = text.split(input.format === undefined ? /(?<= )/ : /(?<=[ ,:])/);
  if (input.maxTokens !== undefined) {
    let budget = input.maxTokens;
    const kept: string[] = [];
    for (const w of words) {
      const cost = countTokens(w);
      if (cost > budget) {
        finish = 'length';
        break;
      }
      budget -= cost;
      kept.push(w);
    }
    words = kept;
  }
  return { chunks: words, finish, promptTokens, completionTokens: countTokens(words.join('')), cachedTokens, reasoningTokens: 0 };
}

/** The answer's text as the JSON the request asks for. */
function formatted(format: ScriptFormat, text: string): string {
  return JSON.stringify(format.type === 'json_object' ? { answer: text } : jsonInstance(format.schema));
}

/** The tools the answer calls: what the tool choice forces, else what the prompt asks while no tool results are in. */
function calledTools(input: ScriptInput): ScriptTool[] {
  const choice = input.toolChoice ?? 'auto';
  if (choice === 'none') return [];
  let called: ScriptTool[];
  if (typeof choice === 'object') called = input.tools.filter((t) => t.name === choice.name).slice(0, 1);
  else {
    called = input.toolResults.length === 0 ? askedTools(input) : [];
    if (called.length === 0 && choice === 'required') called = input.tools.slice(0, 1);
  }
  return input.parallelToolCalls === false ? called.slice(0, 1) : called;
}

/** The tools a prompt asks to call: the first two for "call both tools", the first for "call the tool", else none. */
function askedTools(input: ScriptInput): ScriptTool[] {
  if (input.tools.length >= 2 && /call both tools/i.test(input.lastUser)) return input.tools.slice(0, 2);
  const first = input.tools[0];
  return first && /call the tool/i.test(input.lastUser) ? [first] : [];
}

/** The rest of `text` after as many words as `earlier` has, starting with a space when `earlier` ends mid-line. */
function continuation(text: string, earlier: string): string {
  const written = earlier.split(/\s+/).filter((w) => w !== '').length;
  const rest = text.split(/(?<= )/).slice(written).join('');
  return rest !== '' && !/\s$/.test(earlier) ? ` ${rest}` : rest;
}

/** Deterministic unit vector for a text, so embeddings are stable across runs. */
export function embedText(text: string, dimensions: number): number[] {
  const out = new Array<number>(dimensions);
  let h = simpleHash(text) || 1;
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    h ^= h << 13;
    h ^= h >>> 17;
    h ^= h << 5;
    const v = ((h >>> 0) / 4294967296) * 2 - 1;
    out[i] = v;
    norm += v * v;
  }
  const scale = 1 / Math.sqrt(norm);
  return out.map((v) => Math.round(v * scale * 1e6) / 1e6);
}

function simpleHash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** A stand-in for the opaque signature the clouds attach to reasoning: base64, stable per text. */
export function signatureOf(reasoning: string[]): string {
  return Buffer.from(`sim-signature:${simpleHash(reasoning.join('')).toString(16)}`).toString('base64');
}

/** Splits tool-call arguments into a few pieces (at least one) so clients see streamed argument deltas. */
export function splitArgs(args: string): string[] {
  const size = Math.max(1, Math.ceil(args.length / 3));
  const out: string[] = [];
  for (let i = 0; i < args.length; i += size) out.push(args.slice(i, i + size));
  return out.length > 0 ? out : [''];
}

/** One streamed piece of a tool call's arguments: which call (its place in the answer), the text, and whether it opens the call. */
export interface ArgumentPiece {
  index: number;
  call: ScriptToolCall;
  piece: string;
  first: boolean;
}

/**
 * The argument pieces of an answer's calls taken in turn, one of each call at a time (call 0, call 1,
 * call 0, ...), as an OpenAI stream may interleave parallel calls told apart by index only.
 */
export function interleavedArguments(calls: readonly ScriptToolCall[]): ArgumentPiece[] {
  const split = calls.map((call) => splitArgs(call.arguments));
  const out: ArgumentPiece[] = [];
  const rounds = Math.max(0, ...split.map((pieces) => pieces.length));
  for (let round = 0; round < rounds; round++) {
    split.forEach((pieces, index) => {
      const piece = pieces[round];
      if (piece !== undefined) out.push({ index, call: calls[index] as ScriptToolCall, piece, first: round === 0 });
    });
  }
  return out;
}
