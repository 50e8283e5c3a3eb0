// OpenAI wire pieces (chat, embeddings) shared by the OpenAI-compatible and Azure OpenAI simulators.
import type { ServerResponse } from 'node:http';
import { countTokens, type ArgumentPiece, type ScriptToolCall } from '../answer.js';
import { sendJson } from '../server.js';

/** Parses a JSON request body, or answers 400 as OpenAI does and returns undefined. */
export function readJsonBody(res: ServerResponse, body: Buffer): Record<string, unknown> | undefined {
  try {
    return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    sendJson(res, 400, { error: { message: 'We could not parse the JSON body of your request.', type: 'invalid_request_error', param: null, code: null } });
    return undefined;
  }
}

/** The `tool_calls` of a non-streamed assistant message, one per call of the answer. */
export function toolCallsOf(calls: readonly ScriptToolCall[]): Array<Record<string, unknown>> {
  return calls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }));
}

/** The delta streaming one argument piece, told apart by the call's index; a call's first piece also names it. */
export function toolCallDelta({ index, call, piece, first }: ArgumentPiece): Record<string, unknown> {
  const delta: Record<string, unknown> = first ? { index, id: call.id, type: 'function', function: { name: call.name, arguments: piece } } : { index, function: { arguments: piece } };
  return { tool_calls: [delta] };
}

/** One input of an embeddings request as the simulator embeds it: a text, or token ids and their count. */
export interface SimEmbeddingInput {
  /** What the vector is made from (token ids as their list). */
  key: string;
  tokens: number;
  ids: boolean;
}

/**
 * The inputs of an OpenAI embeddings body in the four shapes OpenAI takes (a string, strings, a token
 * array, token arrays, never mixed); a token input counts one token per id. Anything else is answered
 * 400 as OpenAI answers it (`'$.input' is invalid`, param null), and undefined returned.
 */
export function readEmbeddingInputs(res: ServerResponse, input: unknown): SimEmbeddingInput[] | undefined {
  const inputs = embeddingInputs(input);
  if (inputs) return inputs;
  const message = "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.";
  sendJson(res, 400, { error: { message, type: 'invalid_request_error', param: null, code: null } });
  return undefined;
}

function embeddingInputs(input: unknown): SimEmbeddingInput[] | undefined {
  if (typeof input === 'string') return input === '' ? undefined : [text(input)];
  if (!Array.isArray(input) || input.length === 0) return undefined;
  if (input.every(isTokenId)) return [ids(input as number[])];
  if (input.length > 2048) return undefined;
  if (input.every((t) => typeof t === 'string' && t !== '')) return (input as string[]).map(text);
  if (input.every((t) => Array.isArray(t) && t.length > 0 && t.every(isTokenId))) return (input as number[][]).map(ids);
  return undefined;
}

const isTokenId = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const text = (t: string): SimEmbeddingInput => ({ key: t, tokens: countTokens(t), ids: false });
const ids = (list: readonly number[]): SimEmbeddingInput => ({ key: `tokens:${list.join(',')}`, tokens: list.length, ids: true });

/**
 * Ollama's answer to token ids on /v1/embeddings: its /api/embed takes a string or strings only
 * (server/routes.go EmbedHandler), and the OpenAI middleware rewrites the 400 in OpenAI's shape.
 */
export function sendTokenInputRefusal(res: ServerResponse): void {
  sendJson(res, 400, { error: { message: 'invalid input type', type: 'invalid_request_error', param: null, code: null } });
}
