import { isObject } from '../../../core/json.js';
import type { AssistantPart, StreamPart } from '../../../core/types.js';
import { REASONING_PROVIDER } from './decode-response.js';

/*
 * Mistral's own API (api.mistral.ai) writes a message's `content`, and a stream's `delta.content`, as a
 * string or as a list of typed chunks (its `AssistantMessageContent` / `DeltaMessageContent`): reasoning
 * models answer `[{type:"thinking", thinking:[{type:"text", text}]}, {type:"text", text}]`, and an answer
 * citing tool results puts `{type:"reference", reference_ids}` chunks between its text pieces. Only those
 * documented chunks are read; any other, or one whose fields have the wrong type, makes the reply
 * malformed (the problem names the field, never its value).
 */

const NOT_A_CHUNK = 'a content chunk that is neither text nor thinking';
const BAD_TEXT = 'a text chunk whose text is not a string';
const BAD_THINKING = 'a thinking chunk whose thinking is not a list';

/** Where a piece of text goes: module functions, so reading a reply makes no closure. */
type Visit<T> = (out: T, reasoning: boolean, text: string) => void;

/** Reads `list` in order into `out` through `visit`; the problem when a chunk cannot be read. */
function readChunks<T>(list: readonly unknown[], out: T, visit: Visit<T>): string | undefined {
  for (const chunk of list) {
    if (!isObject(chunk)) return NOT_A_CHUNK;
    if (chunk.type !== 'thinking') {
      const problem = readText(chunk, false, out, visit);
      if (problem !== undefined) return problem;
      continue;
    }
    if (!Array.isArray(chunk.thinking)) return BAD_THINKING;
    for (const inner of chunk.thinking as unknown[]) {
      const problem = isObject(inner) ? readText(inner, true, out, visit) : NOT_A_CHUNK;
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}

/** A text chunk's text, handed to `visit`; a reference chunk cites tool results by id and carries no text. */
function readText<T>(chunk: Record<string, unknown>, reasoning: boolean, out: T, visit: Visit<T>): string | undefined {
  if (chunk.type === 'reference') return undefined;
  if (chunk.type !== 'text') return NOT_A_CHUNK;
  if (typeof chunk.text !== 'string') return BAD_TEXT;
  if (chunk.text !== '') visit(out, reasoning, chunk.text);
  return undefined;
}

/** A whole answer's pieces: adjacent pieces of one kind join into one part, as text split by citations should. */
function toAnswerParts(out: AssistantPart[], reasoning: boolean, text: string): void {
  const last = out[out.length - 1];
  if (reasoning && last?.type === 'reasoning') last.text += text;
  else if (!reasoning && last?.type === 'text') last.text += text;
  else out.push(reasoning ? { type: 'reasoning', text, provider: REASONING_PROVIDER } : { type: 'text', text });
}

/** A stream chunk's pieces, a part each. */
function toStreamParts(out: StreamPart[], reasoning: boolean, text: string): void {
  out.push(reasoning ? { type: 'reasoning', delta: text, provider: REASONING_PROVIDER } : { type: 'text', delta: text });
}

/** A whole answer's content chunks appended to `out` as text and reasoning parts; the problem, if one cannot be read. */
export function answerChunks(list: readonly unknown[], out: AssistantPart[]): string | undefined {
  return readChunks(list, out, toAnswerParts);
}

/** A stream delta's content chunks appended to `out` as text and reasoning parts; the problem, if one cannot be read. */
export function deltaChunks(list: readonly unknown[], out: StreamPart[]): string | undefined {
  return readChunks(list, out, toStreamParts);
}
