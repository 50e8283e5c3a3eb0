import { GatewayError } from './errors.js';
import type { ChatRequest, EmbeddingRequest } from './types.js';

/*
 * Hand-written request validation: it runs on every request, and a schema library costs several
 * times more CPU for the same checks. Errors name the offending parameter the way OpenAI does.
 * What passes has exactly the shape of the canonical types, so no dialect needs to guard against a
 * client's creativity: optional fields sent as null are removed, as OpenAI treats them as absent.
 */

function bad(param: string, message: string): GatewayError {
  return new GatewayError({ kind: 'invalid_request', message, param, code: 'invalid_request' });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True when `key` holds a value; a null is removed first. */
function present(body: Record<string, unknown>, key: string): boolean {
  const v = body[key];
  if (v === null) delete body[key];
  return v !== undefined && v !== null;
}

function checkNumber(body: Record<string, unknown>, key: string, min: number, max: number, integer = false): void {
  if (!present(body, key)) return;
  const v = body[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw bad(key, `'${key}' must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}.`);
  }
}

function checkType(body: Record<string, unknown>, key: string, type: 'string' | 'boolean', param = key): void {
  if (present(body, key) && typeof body[key] !== type) throw bad(param, `'${param}' must be a ${type}.`);
}

/** Function and schema names as OpenAI accepts them (and Bedrock and Gemini require). */
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

function checkName(v: unknown, param: string): void {
  if (typeof v !== 'string' || !NAME.test(v)) throw bad(param, `'${param}' must be 1 to 64 letters, digits, underscores or dashes.`);
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);
const DETAILS = new Set(['auto', 'low', 'high']);

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
      if (present(image, 'detail') && !DETAILS.has(image.detail as string)) throw bad(`${p}.image_url.detail`, `'${p}.image_url.detail' must be 'auto', 'low' or 'high'.`);
    } else {
      throw bad(`${p}.type`, `'${p}.type' must be ${allowImages ? "'text' or 'image_url'" : "'text'"}.`);
    }
  });
}

function checkToolCalls(calls: unknown, param: string): void {
  if (!Array.isArray(calls)) throw bad(param, `'${param}' must be an array.`);
  calls.forEach((tc: unknown, j) => {
    const fn = isObject(tc) ? tc.function : undefined;
    const typeOk = isObject(tc) && (tc.type === undefined || tc.type === 'function');
    if (!typeOk || typeof tc.id !== 'string' || !isObject(fn) || typeof fn.name !== 'string' || typeof fn.arguments !== 'string') {
      throw bad(`${param}[${j}]`, `'${param}[${j}]' must have an id and a function with name and arguments strings.`);
    }
  });
}

function checkMessage(m: unknown, i: number): void {
  const param = `messages[${i}]`;
  if (!isObject(m)) throw bad(param, `'${param}' must be an object.`);
  if (typeof m.role !== 'string' || !ROLES.has(m.role)) throw bad(`${param}.role`, `'${param}.role' must be one of system, developer, user, assistant, tool.`);
  checkType(m, 'name', 'string', `${param}.name`);
  if (m.role !== 'assistant') {
    checkContent(m.content, `${param}.content`, m.role === 'user');
    if (m.role === 'tool' && typeof m.tool_call_id !== 'string') throw bad(`${param}.tool_call_id`, `'${param}.tool_call_id' is required for tool messages.`);
    return;
  }
  const hasCalls = present(m, 'tool_calls');
  if (hasCalls) checkToolCalls(m.tool_calls, `${param}.tool_calls`);
  if (m.content !== null && m.content !== undefined) checkContent(m.content, `${param}.content`, false);
  else if (!hasCalls) throw bad(`${param}.content`, `'${param}.content' is required unless 'tool_calls' is given.`);
  // The canonical assistant message always has content; a tool-call-only turn has null.
  else m.content = null;
  if (present(m, 'refusal') && typeof m.refusal !== 'string') throw bad(`${param}.refusal`, `'${param}.refusal' must be a string.`);
}

function checkTools(tools: unknown): Set<string> {
  if (!Array.isArray(tools)) throw bad('tools', "'tools' must be an array.");
  const names = new Set<string>();
  tools.forEach((t: unknown, i) => {
    const fn = isObject(t) ? t.function : undefined;
    if (!isObject(t) || t.type !== 'function' || !isObject(fn)) throw bad(`tools[${i}]`, `'tools[${i}]' must be {type: 'function', function: {name, ...}}.`);
    const p = `tools[${i}].function`;
    checkName(fn.name, `${p}.name`);
    checkType(fn, 'description', 'string', `${p}.description`);
    checkType(fn, 'strict', 'boolean', `${p}.strict`);
    if (present(fn, 'parameters') && !isObject(fn.parameters)) throw bad(`${p}.parameters`, `'${p}.parameters' must be a JSON Schema object.`);
    names.add(fn.name as string);
  });
  return names;
}

function checkToolChoice(choice: unknown, tools: Set<string> | undefined): void {
  if (choice === 'none' || choice === 'auto' || choice === 'required') return;
  if (!isObject(choice)) throw bad('tool_choice', "'tool_choice' must be 'none', 'auto', 'required' or {type: 'function', function: {name}}.");
  if (choice.type !== 'function') throw bad('tool_choice.type', "'tool_choice.type' must be 'function'.");
  const fn = choice.function;
  if (!isObject(fn) || typeof fn.name !== 'string') throw bad('tool_choice.function.name', "'tool_choice.function.name' must be a string.");
  if (!tools?.has(fn.name)) throw bad('tool_choice.function.name', `'tool_choice.function.name' names '${fn.name.slice(0, 64)}', which is not in 'tools'.`);
}

function checkResponseFormat(rf: unknown): void {
  if (!isObject(rf) || (rf.type !== 'text' && rf.type !== 'json_object' && rf.type !== 'json_schema')) {
    throw bad('response_format.type', "'response_format.type' must be 'text', 'json_object' or 'json_schema'.");
  }
  if (rf.type !== 'json_schema') return;
  const js = rf.json_schema;
  if (!isObject(js)) throw bad('response_format.json_schema', "'response_format.json_schema' is required for type 'json_schema' and must be an object.");
  checkName(js.name, 'response_format.json_schema.name');
  if (present(js, 'schema') && !isObject(js.schema)) throw bad('response_format.json_schema.schema', "'response_format.json_schema.schema' must be a JSON Schema object.");
  checkType(js, 'strict', 'boolean', 'response_format.json_schema.strict');
  checkType(js, 'description', 'string', 'response_format.json_schema.description');
}

/** Checks a chat request body and returns it typed; throws invalid_request naming the parameter. */
export function validateChatRequest(body: unknown): ChatRequest {
  if (!isObject(body)) throw bad('', 'The request body must be a JSON object.');
  if (typeof body.model !== 'string' || body.model === '') throw bad('model', "'model' is required and must be a string.");
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) throw bad('messages', "'messages' must be a non-empty array.");
  messages.forEach(checkMessage);
  checkNumber(body, 'temperature', 0, 2);
  checkNumber(body, 'top_p', 0, 1);
  checkNumber(body, 'max_tokens', 1, 10_000_000, true);
  checkNumber(body, 'max_completion_tokens', 1, 10_000_000, true);
  checkNumber(body, 'presence_penalty', -2, 2);
  checkNumber(body, 'frequency_penalty', -2, 2);
  checkNumber(body, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true);
  if (present(body, 'n') && body.n !== 1) throw bad('n', "Only 'n': 1 is supported.");
  if (present(body, 'stop')) {
    const stop = body.stop;
    const ok = typeof stop === 'string' || (Array.isArray(stop) && stop.length <= 4 && stop.every((s) => typeof s === 'string'));
    if (!ok) throw bad('stop', "'stop' must be a string or an array of up to 4 strings.");
  }
  const tools = present(body, 'tools') ? checkTools(body.tools) : undefined;
  if (present(body, 'tool_choice')) checkToolChoice(body.tool_choice, tools);
  checkType(body, 'parallel_tool_calls', 'boolean');
  if (present(body, 'response_format')) checkResponseFormat(body.response_format);
  checkType(body, 'stream', 'boolean');
  if (present(body, 'stream_options')) {
    if (!isObject(body.stream_options)) throw bad('stream_options', "'stream_options' must be an object.");
    checkType(body.stream_options, 'include_usage', 'boolean', 'stream_options.include_usage');
  }
  checkType(body, 'user', 'string');
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
  if (present(body, 'encoding_format') && body.encoding_format !== 'float' && body.encoding_format !== 'base64') {
    throw bad('encoding_format', "'encoding_format' must be 'float' or 'base64'.");
  }
  checkType(body, 'user', 'string');
  return body as unknown as EmbeddingRequest;
}
