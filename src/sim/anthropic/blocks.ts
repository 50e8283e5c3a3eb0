import type { ServerResponse } from 'node:http';
import { signatureOf, splitArgs, type Answer, type ScriptToolCall } from '../answer.js';
import type { Fault } from '../faults.js';
import { streamWithFaults } from '../server.js';

/**
 * The content blocks of a scripted answer in the Messages API's shapes, whole and streamed, for the
 * Anthropic and Claude-on-Vertex simulators: thinking, then redacted thinking, then the text or the
 * tool_use blocks (several for a parallel call, one after another, as the API streams them).
 */

type Json = Record<string, unknown>;
type Send = (event: string, data: Json) => unknown;

/**
 * The string Anthropic documents for testing redacted thinking: a prompt holding it, with thinking on,
 * gets a `redacted_thinking` block (the encrypted thinking, no text) beside its thinking.
 */
export const REDACTED_THINKING_TRIGGER = 'ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING_46C9A13E193C177646C7398A98432ECCCE4C1253';

/** Whether the answer carries a redacted thinking block: it reasoned and the prompt holds the trigger. */
export function redactsThinking(answer: Answer, lastUser: string): boolean {
  return answer.reasoning !== undefined && lastUser.includes(REDACTED_THINKING_TRIGGER);
}

/** The thinking block of an answer that reasoned. */
export function thinkingBlock(reasoning: string[]): Json {
  return { type: 'thinking', thinking: reasoning.join(''), signature: signatureOf(reasoning) };
}

/** An opaque stand-in for the encrypted thinking, stable per answer. */
export function redactedBlock(reasoning: string[]): Json {
  return { type: 'redacted_thinking', data: Buffer.from(`sim-redacted:${signatureOf(reasoning)}`).toString('base64') };
}

/** The whole content of an answer; `toolId` gives each call its wire id. */
export function contentBlocks(answer: Answer, redacted: boolean, toolId: (call: ScriptToolCall) => string): Json[] {
  const content: Json[] = [];
  if (answer.reasoning) content.push(thinkingBlock(answer.reasoning));
  if (answer.reasoning && redacted) content.push(redactedBlock(answer.reasoning));
  if (answer.toolCalls) {
    for (const call of answer.toolCalls) content.push({ type: 'tool_use', id: toolId(call), name: call.name, input: JSON.parse(call.arguments) as Json });
  } else content.push({ type: 'text', text: answer.chunks.join('') });
  return content;
}

/**
 * Streams the thinking of an answer as the API does, as the first block: thinking_delta events, then
 * a signature_delta; a redacted block after it comes whole in its content_block_start. Returns the
 * index of the next block.
 */
export function streamThinking(send: Send, reasoning: string[] | undefined, redacted = false): number {
  if (!reasoning) return 0;
  send('content_block_start', { index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } });
  for (const thinking of reasoning) send('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking } });
  send('content_block_delta', { index: 0, delta: { type: 'signature_delta', signature: signatureOf(reasoning) } });
  send('content_block_stop', { index: 0 });
  if (!redacted) return 1;
  send('content_block_start', { index: 1, content_block: redactedBlock(reasoning) });
  send('content_block_stop', { index: 1 });
  return 2;
}

/** One streamed piece of the answer: text, or a piece of a tool call's input; `opens` starts its block. */
interface Piece {
  index: number;
  text: string;
  call?: ScriptToolCall;
  opens: boolean;
}

function piecesOf(answer: Answer, first: number): Piece[] {
  if (!answer.toolCalls) return answer.chunks.map((text, i) => ({ index: first, text, opens: i === 0 }));
  return answer.toolCalls.flatMap((call, k) => splitArgs(call.arguments).map((text, i) => ({ index: first + k, text, call, opens: i === 0 })));
}

function blockStart(piece: Piece, toolId: (call: ScriptToolCall) => string): Json {
  return piece.call ? { type: 'tool_use', id: toolId(piece.call), name: piece.call.name, input: {} } : { type: 'text', text: '' };
}

/**
 * Streams the answer's text or tool_use blocks after its thinking, starting at block `first`, with the
 * fault's timing; `fail` ends the stream with the wire's error event. True when every block was sent.
 */
export async function streamAnswerBlocks(send: Send, res: ServerResponse, answer: Answer, first: number, fault: Fault, toolId: (call: ScriptToolCall) => string, fail: () => void): Promise<boolean> {
  const pieces = piecesOf(answer, first);
  const opening = pieces[0] ?? { index: first, text: '', opens: true };
  send('content_block_start', { index: first, content_block: blockStart(opening, toolId) });
  send('ping', {});
  const complete = await streamWithFaults(
    pieces,
    fault,
    res,
    (piece) => {
      if (piece.opens && piece.index !== first) {
        send('content_block_stop', { index: piece.index - 1 });
        send('content_block_start', { index: piece.index, content_block: blockStart(piece, toolId) });
      }
      send('content_block_delta', { index: piece.index, delta: piece.call ? { type: 'input_json_delta', partial_json: piece.text } : { type: 'text_delta', text: piece.text } });
    },
    fail,
  );
  if (complete) send('content_block_stop', { index: pieces.at(-1)?.index ?? first });
  return complete;
}
