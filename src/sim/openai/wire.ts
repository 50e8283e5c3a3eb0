// OpenAI wire pieces (chat, embeddings) shared by the OpenAI-compatible and Azure OpenAI simulators.
import type { ServerResponse } from 'node:http';
import { countTokens, type ArgumentPiece, type ScriptFormat, type ScriptToolCall, type ScriptToolChoice } from '../answer.js';
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

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An OpenAI error body. */
function openaiError(message: string, param: string | null): { error: Json } {
  return { error: { message, type: 'invalid_request_error', param, code: null } };
}

/**
 * OpenAI's answer to a model that does not chat on /v1/chat/completions (an embedding model), a 404 as
 * quoted in langbot-app/LangBot#400 and ashinnotfound/ChatGPT-YourChatRobot#63.
 */
export function chatModelRefusal(): { error: Json } {
  return openaiError('This is not a chat model and thus not supported in the v1/chat/completions endpoint. Did you mean to use v1/completions?', 'model');
}

/** OpenAI's answer to a chat model on /v1/embeddings, a 403 as quoted in infiniflow/ragflow#1835 (gpt-4o) and langchain-ai/langchain#9270. */
export function embeddingsModelRefusal(): { error: Json } {
  return openaiError('You are not allowed to generate embeddings from this model', null);
}

/**
 * vLLM's answer to /v1/embeddings on a server whose model generates (vllm entrypoints/openai/api_server.py
 * `create_embedding`), in its error shape: a 400 BadRequestError.
 */
export function servedChatModelRefusal(): Json {
  return { object: 'error', message: 'The model does not support Embeddings API', type: 'BadRequestError', param: null, code: 400 };
}

/**
 * Ollama's answer (0.30 on) to /v1/embeddings on a chat model: its llama-server engine starts a model
 * without pooling with no embeddings, llama-server refuses in its words (handle_embeddings_impl, a 501),
 * Ollama passes them on (llm/llama_server.go normalizeEmbeddingError) and its OpenAI middleware writes
 * them in OpenAI's shape, `api_error` for a 5xx (openai/openai.go NewError).
 */
export function sendOllamaEmbeddingsRefusal(res: ServerResponse): void {
  sendJson(res, 501, { error: { message: 'This server does not support embeddings. Start it with `--embeddings`', type: 'api_error', param: null, code: null } });
}

/** The answer format a chat body's `response_format` asks for; undefined for text or none. */
export function responseFormatOf(format: unknown): ScriptFormat | undefined {
  if (!isObject(format)) return undefined;
  if (format.type === 'json_object') return { type: 'json_object' };
  if (format.type !== 'json_schema') return undefined;
  return { type: 'json_schema', schema: isObject(format.json_schema) ? format.json_schema.schema : undefined };
}

/** A chat body's `tool_choice`: 'none', 'auto', 'required' or `{type: 'function', function: {name}}`. */
export function toolChoiceOf(choice: unknown): ScriptToolChoice | undefined {
  if (choice === 'none' || choice === 'auto' || choice === 'required') return choice;
  const fn = isObject(choice) && choice.type === 'function' && isObject(choice.function) ? choice.function : undefined;
  return typeof fn?.name === 'string' ? { name: fn.name } : undefined;
}

/**
 * What OpenAI (and Azure OpenAI) refuse in a `response_format`, with a 400 in their words: JSON mode
 * when no message says "json" (as the projects that met it quote it), and a strict
 * schema with an object that does not set `additionalProperties: false` (outlines#844 and #1666 at the
 * root, moeru-ai/xsai#202 nested, from Azure). Undefined when it is taken.
 */
export function responseFormatProblem(body: Json): { error: Json } | undefined {
  const format = body.response_format;
  if (!isObject(format)) return undefined;
  if (format.type === 'json_object' && !mentionsJson(body.messages)) {
    return openaiError("'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.", 'messages');
  }
  const spec = format.type === 'json_schema' && isObject(format.json_schema) ? format.json_schema : undefined;
  if (spec?.strict !== true) return undefined;
  const open = openObject(spec.schema, []);
  if (open === undefined) return undefined;
  return openaiError(`Invalid schema for response_format '${String(spec.name)}': In context=${pythonTuple(open)}, 'additionalProperties' is required to be supplied and to be false.`, 'response_format');
}

/** Whether any message's text holds "json", in any case. */
function mentionsJson(messages: unknown): boolean {
  const texts = (Array.isArray(messages) ? messages : []).flatMap((m) => {
    const content = isObject(m) ? m.content : undefined;
    if (typeof content === 'string') return [content];
    return Array.isArray(content) ? content.map((part) => (isObject(part) && typeof part.text === 'string' ? part.text : '')) : [];
  });
  return texts.some((t) => /json/i.test(t));
}

/** The path of the first object schema, depth first, that leaves additional properties open (strict mode refuses it). */
function openObject(schema: unknown, path: readonly string[]): string[] | undefined {
  if (!isObject(schema)) return undefined;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if ((types.includes('object') || isObject(schema.properties)) && schema.additionalProperties !== false) return [...path];
  const children: Array<[string[], unknown]> = [];
  for (const key of ['properties', '$defs', 'definitions']) {
    const map = schema[key];
    if (isObject(map)) for (const [name, sub] of Object.entries(map)) children.push([[key, name], sub]);
  }
  if (schema.items !== undefined) children.push([['items'], schema.items]);
  for (const key of ['anyOf', 'allOf']) {
    const list = schema[key];
    if (Array.isArray(list)) list.forEach((sub, i) => children.push([[key, String(i)], sub]));
  }
  for (const [step, sub] of children) {
    const found = openObject(sub, [...path, ...step]);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A path as the API words it, a Python tuple: (), ('items',), ('properties', 'a'). */
function pythonTuple(path: readonly string[]): string {
  const items = path.map((p) => `'${p}'`);
  return items.length === 1 ? `(${items[0] ?? ''},)` : `(${items.join(', ')})`;
}
