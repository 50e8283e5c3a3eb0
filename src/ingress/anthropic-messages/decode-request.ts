import type { AssistantMessage, ChatMessage, ChatRequest, ContentPart, TextPart, ToolCall, ToolDefinition, ToolMessage } from '../../core/types.js';
import { checkCount, fail, isObject, num, str } from './check.js';

/*
 * An Anthropic Messages request to the canonical (OpenAI-shaped) chat request. Checked here, with
 * Anthropic's parameter names (`messages.0.content.1.type`), so a client of this door never sees an
 * OpenAI parameter name in an error. Fields the canonical request cannot carry are listed in IGNORED
 * and dropped on purpose; anything else unknown is refused, as the Messages API itself does.
 */

/** Accepted and dropped: no canonical home yet (see the README of this folder). */
const IGNORED = new Set(['thinking', 'top_k', 'service_tier', 'context_management']);
const KNOWN = new Set(['model', 'messages', 'system', 'max_tokens', 'temperature', 'top_p', 'stop_sequences', 'stream', 'tools', 'tool_choice', 'metadata']);

/** Tool names as the Messages API accepts them (and Bedrock and Gemini require). */
const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** A `cache_control` mark as the Anthropic and Bedrock dialects read it off a canonical text part. */
function cacheControl(block: Record<string, unknown>, param: string): TextPart['cache_control'] {
  const cc = block.cache_control;
  if (cc === undefined || cc === null) return undefined;
  if (!isObject(cc) || cc.type !== 'ephemeral') fail(`${param}.cache_control.type`, "must be 'ephemeral'");
  if (cc.ttl !== undefined && cc.ttl !== '5m' && cc.ttl !== '1h') fail(`${param}.cache_control.ttl`, "must be '5m' or '1h'");
  return cc.ttl === undefined ? { type: 'ephemeral' } : { type: 'ephemeral', ttl: cc.ttl };
}

function textPart(block: Record<string, unknown>, param: string): TextPart {
  const text = str(block.text, `${param}.text`);
  const cc = cacheControl(block, param);
  return cc ? { type: 'text', text, cache_control: cc } : { type: 'text', text };
}

function imagePart(block: Record<string, unknown>, param: string): ContentPart {
  const src = block.source;
  if (!isObject(src)) fail(`${param}.source`, 'is required');
  if (src.type === 'base64') {
    const media = str(src.media_type, `${param}.source.media_type`);
    return { type: 'image_url', image_url: { url: `data:${media};base64,${str(src.data, `${param}.source.data`)}` } };
  }
  if (src.type === 'url') return { type: 'image_url', image_url: { url: str(src.url, `${param}.source.url`) } };
  return fail(`${param}.source.type`, "must be 'base64' or 'url'");
}

/** A tool_result's content as canonical tool text; images in results have no canonical home. */
function toolResultText(content: unknown, param: string): string | TextPart[] {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) fail(param, 'must be a string or an array of content blocks');
  return content.map((b: unknown, i) => {
    const p = `${param}.${i}`;
    if (!isObject(b) || b.type !== 'text') fail(`${p}.type`, "must be 'text' (Switchyard carries only text in tool results)");
    return textPart(b, p);
  });
}

/** A user turn: tool results become tool messages (first, as the API orders them), the rest one user message. */
function userTurn(content: unknown, param: string, out: ChatMessage[]): void {
  if (typeof content === 'string') {
    out.push({ role: 'user', content });
    return;
  }
  const parts: ContentPart[] = [];
  (content as unknown[]).forEach((block, i) => {
    const p = `${param}.${i}`;
    if (!isObject(block)) fail(p, 'must be an object');
    if (block.type === 'text') parts.push(textPart(block, p));
    else if (block.type === 'image') parts.push(imagePart(block, p));
    else if (block.type === 'tool_result') {
      const tool: ToolMessage = { role: 'tool', tool_call_id: str(block.tool_use_id, `${p}.tool_use_id`), content: toolResultText(block.content, `${p}.content`) };
      out.push(tool);
    } else fail(`${p}.type`, "must be 'text', 'image' or 'tool_result' in a user message");
  });
  if (parts.length > 0) out.push({ role: 'user', content: parts });
}

/**
 * An assistant turn: text, and tool_use blocks as tool calls. Thinking blocks sent back are checked
 * and dropped: no dialect sends reasoning upstream yet, and OpenAI-compatible servers refuse it.
 */
function assistantTurn(content: unknown, param: string): AssistantMessage {
  if (typeof content === 'string') return { role: 'assistant', content };
  const text: TextPart[] = [];
  const calls: ToolCall[] = [];
  (content as unknown[]).forEach((block, i) => {
    const p = `${param}.${i}`;
    if (!isObject(block)) fail(p, 'must be an object');
    if (block.type === 'text') text.push(textPart(block, p));
    else if (block.type === 'tool_use') {
      if (!isObject(block.input)) fail(`${p}.input`, 'must be an object');
      calls.push({ id: str(block.id, `${p}.id`), type: 'function', function: { name: str(block.name, `${p}.name`), arguments: JSON.stringify(block.input) } });
    } else if (block.type === 'thinking') str(block.thinking, `${p}.thinking`);
    else if (block.type !== 'redacted_thinking') fail(`${p}.type`, "must be 'text', 'tool_use', 'thinking' or 'redacted_thinking' in an assistant message");
  });
  const message: AssistantMessage = { role: 'assistant', content: text.length > 0 || calls.length === 0 ? text : null };
  if (calls.length > 0) message.tool_calls = calls;
  return message;
}

function conversation(body: Record<string, unknown>): ChatMessage[] {
  const out: ChatMessage[] = [];
  const system = body.system;
  if (typeof system === 'string') {
    if (system !== '') out.push({ role: 'system', content: system });
  } else if (Array.isArray(system)) {
    const parts = system.map((b: unknown, i) => {
      if (!isObject(b) || b.type !== 'text') fail(`system.${i}.type`, "must be 'text'");
      return textPart(b, `system.${i}`);
    });
    if (parts.length > 0) out.push({ role: 'system', content: parts });
  } else if (system !== undefined && system !== null) fail('system', 'must be a string or an array of text blocks');
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) fail('messages', 'must be a non-empty array');
  messages.forEach((m: unknown, i) => {
    const p = `messages.${i}`;
    if (!isObject(m)) fail(p, 'must be an object');
    if (typeof m.content !== 'string' && !Array.isArray(m.content)) fail(`${p}.content`, 'must be a string or an array of content blocks');
    if (m.role === 'user') userTurn(m.content, `${p}.content`, out);
    else if (m.role === 'assistant') out.push(assistantTurn(m.content, `${p}.content`));
    else fail(`${p}.role`, "must be 'user' or 'assistant'");
  });
  return out;
}

function tools(raw: unknown): ToolDefinition[] {
  if (!Array.isArray(raw)) fail('tools', 'must be an array');
  return raw.map((t: unknown, i) => {
    const p = `tools.${i}`;
    if (!isObject(t)) fail(p, 'must be an object');
    // Server tools (web search, code execution...) run at Anthropic and cannot be routed elsewhere.
    if (t.type !== undefined && t.type !== null && t.type !== 'custom') fail(`${p}.type`, `'${String(t.type).slice(0, 64)}' is a server tool, which Switchyard does not support`);
    const name = str(t.name, `${p}.name`);
    if (!TOOL_NAME.test(name)) fail(`${p}.name`, 'must be 1 to 64 letters, digits, underscores or dashes');
    if (!isObject(t.input_schema)) fail(`${p}.input_schema`, 'must be a JSON Schema object');
    const fn: ToolDefinition['function'] = { name, parameters: t.input_schema as ToolDefinition['function']['parameters'] };
    if (t.description !== undefined) fn.description = str(t.description, `${p}.description`);
    return { type: 'function', function: fn };
  });
}

/** Anthropic's tool_choice: any is required, tool names one, disable_parallel_tool_use turns parallel calls off. */
function toolChoice(raw: unknown, req: ChatRequest): void {
  if (!isObject(raw)) fail('tool_choice', 'must be an object');
  if (raw.type === 'auto') req.tool_choice = 'auto';
  else if (raw.type === 'any') req.tool_choice = 'required';
  else if (raw.type === 'none') req.tool_choice = 'none';
  else if (raw.type === 'tool') {
    const name = str(raw.name, 'tool_choice.name');
    if (!req.tools?.some((t) => t.function.name === name)) fail('tool_choice.name', `names '${name.slice(0, 64)}', which is not in 'tools'`);
    req.tool_choice = { type: 'function', function: { name } };
  } else fail('tool_choice.type', "must be 'auto', 'any', 'tool' or 'none'");
  if (raw.disable_parallel_tool_use === true && raw.type !== 'none') req.parallel_tool_calls = false;
}

export interface DecodedMessagesRequest {
  request: ChatRequest;
  stream: boolean;
}

/**
 * Checks an Anthropic Messages body and maps it to the canonical request. `forCounting` (count_tokens)
 * does not require max_tokens.
 */
export function decodeMessagesRequest(body: unknown, forCounting = false): DecodedMessagesRequest {
  if (!isObject(body)) fail('body', 'must be a JSON object');
  for (const key in body) {
    if (!KNOWN.has(key) && !IGNORED.has(key) && body[key] !== null) fail(key.slice(0, 64), 'Extra inputs are not permitted');
  }
  const model = str(body.model, 'model');
  if (model === '') fail('model', 'must not be empty');
  const request: ChatRequest = { model, messages: conversation(body) };
  if (body.max_tokens !== undefined || !forCounting) request.max_tokens = checkCount(body.max_tokens, 'max_tokens');
  if (body.temperature !== undefined) request.temperature = num(body.temperature, 'temperature', 0, 1);
  if (body.top_p !== undefined) request.top_p = num(body.top_p, 'top_p', 0, 1);
  if (body.stop_sequences !== undefined) {
    if (!Array.isArray(body.stop_sequences)) fail('stop_sequences', 'must be an array of strings');
    request.stop = body.stop_sequences.map((s: unknown, i) => str(s, `stop_sequences.${i}`));
  }
  if (body.tools !== undefined && body.tools !== null) request.tools = tools(body.tools);
  if (body.tool_choice !== undefined && body.tool_choice !== null) toolChoice(body.tool_choice, request);
  if (body.metadata !== undefined && body.metadata !== null) {
    if (!isObject(body.metadata)) fail('metadata', 'must be an object');
    const user = body.metadata.user_id;
    if (user !== undefined && user !== null) request.user = str(user, 'metadata.user_id');
  }
  if (body.stream !== undefined && typeof body.stream !== 'boolean') fail('stream', 'must be a boolean');
  return { request, stream: body.stream === true };
}
