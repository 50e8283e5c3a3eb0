import { GatewayError } from './errors.js';
import type { ChatRequest, EmbeddingRequest } from './types.js';

/*
 * Hand-written request validation: it runs on every request, and a schema library costs several
 * times more CPU for the same checks. Errors name the offending parameter the way OpenAI does.
 */

function bad(param: string, message: string): GatewayError {
  return new GatewayError({ kind: 'invalid_request', message, param, code: 'invalid_request' });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkNumber(body: Record<string, unknown>, key: string, min: number, max: number, integer = false): void {
  const v = body[key];
  if (v === undefined || v === null) {
    delete body[key];
    return;
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw bad(key, `'${key}' must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}.`);
  }
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

function checkContent(content: unknown, param: string, allowImages: boolean): void {
  if (typeof content === 'string') return;
  if (!Array.isArray(content)) throw bad(param, `'${param}' must be a string or an array of content parts.`);
  content.forEach((part: unknown, i) => {
    const p = `${param}[${i}]`;
    if (!isObject(part)) throw bad(p, `'${p}' must be an object.`);
    if (part.type === 'text') {
      if (typeof part.text !== 'string') throw bad(`${p}.text`, `'${p}.text' must be a string.`);
    } else if (part.type === 'image_url' && allowImages) {
      const image = part.image_url;
      if (!isObject(image) || typeof image.url !== 'string') throw bad(`${p}.image_url.url`, `'${p}.image_url.url' must be a string.`);
    } else {
      throw bad(`${p}.type`, `'${p}.type' must be ${allowImages ? "'text' or 'image_url'" : "'text'"}.`);
    }
  });
}

/** Checks a chat request body and returns it typed; throws invalid_request naming the parameter. */
export function validateChatRequest(body: unknown): ChatRequest {
  if (!isObject(body)) throw bad('', 'The request body must be a JSON object.');
  if (typeof body.model !== 'string' || body.model === '') throw bad('model', "'model' is required and must be a string.");
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) throw bad('messages', "'messages' must be a non-empty array.");
  messages.forEach((m: unknown, i) => {
    const param = `messages[${i}]`;
    if (!isObject(m)) throw bad(param, `'${param}' must be an object.`);
    if (typeof m.role !== 'string' || !ROLES.has(m.role)) throw bad(`${param}.role`, `'${param}.role' must be one of system, developer, user, assistant, tool.`);
    if (m.role === 'assistant') {
      if (m.content !== null && m.content !== undefined) checkContent(m.content, `${param}.content`, false);
      else if (!Array.isArray(m.tool_calls)) throw bad(`${param}.content`, `'${param}.content' is required unless 'tool_calls' is given.`);
      if (m.tool_calls !== undefined) {
        if (!Array.isArray(m.tool_calls)) throw bad(`${param}.tool_calls`, `'${param}.tool_calls' must be an array.`);
        m.tool_calls.forEach((tc: unknown, j) => {
          const fn = isObject(tc) ? tc.function : undefined;
          if (!isObject(tc) || typeof tc.id !== 'string' || !isObject(fn) || typeof fn.name !== 'string' || typeof fn.arguments !== 'string') {
            throw bad(`${param}.tool_calls[${j}]`, `'${param}.tool_calls[${j}]' must have an id and a function with name and arguments strings.`);
          }
        });
      }
    } else {
      checkContent(m.content, `${param}.content`, m.role === 'user');
      if (m.role === 'tool' && typeof m.tool_call_id !== 'string') throw bad(`${param}.tool_call_id`, `'${param}.tool_call_id' is required for tool messages.`);
    }
  });
  checkNumber(body, 'temperature', 0, 2);
  checkNumber(body, 'top_p', 0, 1);
  checkNumber(body, 'max_tokens', 1, 10_000_000, true);
  checkNumber(body, 'max_completion_tokens', 1, 10_000_000, true);
  checkNumber(body, 'presence_penalty', -2, 2);
  checkNumber(body, 'frequency_penalty', -2, 2);
  checkNumber(body, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true);
  if (body.n !== undefined && body.n !== null && body.n !== 1) throw bad('n', "Only 'n': 1 is supported.");
  const stop = body.stop;
  if (stop !== undefined && stop !== null) {
    const ok = typeof stop === 'string' || (Array.isArray(stop) && stop.length <= 4 && stop.every((s) => typeof s === 'string'));
    if (!ok) throw bad('stop', "'stop' must be a string or an array of up to 4 strings.");
  }
  if (body.tools !== undefined && body.tools !== null) {
    if (!Array.isArray(body.tools)) throw bad('tools', "'tools' must be an array.");
    body.tools.forEach((t: unknown, i) => {
      const fn = isObject(t) ? t.function : undefined;
      if (!isObject(t) || t.type !== 'function' || !isObject(fn) || typeof fn.name !== 'string') {
        throw bad(`tools[${i}]`, `'tools[${i}]' must be {type: 'function', function: {name, ...}}.`);
      }
    });
  }
  const rf = body.response_format;
  if (rf !== undefined && rf !== null) {
    if (!isObject(rf) || (rf.type !== 'text' && rf.type !== 'json_object' && rf.type !== 'json_schema')) {
      throw bad('response_format.type', "'response_format.type' must be 'text', 'json_object' or 'json_schema'.");
    }
  }
  if (body.stream !== undefined && typeof body.stream !== 'boolean') throw bad('stream', "'stream' must be a boolean.");
  return body as unknown as ChatRequest;
}

/** Checks an embeddings request body. */
export function validateEmbeddingRequest(body: unknown): EmbeddingRequest {
  if (!isObject(body)) throw bad('', 'The request body must be a JSON object.');
  if (typeof body.model !== 'string' || body.model === '') throw bad('model', "'model' is required and must be a string.");
  const input = body.input;
  const ok = typeof input === 'string' || (Array.isArray(input) && input.length > 0 && input.length <= 2048 && input.every((s) => typeof s === 'string'));
  if (!ok) throw bad('input', "'input' must be a string or a non-empty array of up to 2048 strings.");
  checkNumber(body, 'dimensions', 1, 65_536, true);
  if (body.encoding_format !== undefined && body.encoding_format !== 'float' && body.encoding_format !== 'base64') {
    throw bad('encoding_format', "'encoding_format' must be 'float' or 'base64'.");
  }
  return body as unknown as EmbeddingRequest;
}
