import { GatewayError } from '../../../core/errors.js';
import type { ChatMessage, ContentPart, TextPart } from '../../../core/types.js';
import type { AnthropicCacheControl, AnthropicContentBlock, AnthropicImageBlock, AnthropicMessage, AnthropicTextBlock } from './wire.js';

function bad(param: string, message: string): GatewayError {
  return new GatewayError({ kind: 'invalid_request', message, param, code: 'invalid_request' });
}

/**
 * Clients may mark a text part with Anthropic's `cache_control` (as LiteLLM and the Anthropic docs
 * show); the canonical type has no field for it, so it is read off the raw part and passed through.
 */
function cacheControlOf(part: object): AnthropicCacheControl | undefined {
  const cc = (part as { cache_control?: unknown }).cache_control;
  if (typeof cc !== 'object' || cc === null || (cc as { type?: unknown }).type !== 'ephemeral') return undefined;
  const ttl = (cc as { ttl?: unknown }).ttl;
  return typeof ttl === 'string' ? { type: 'ephemeral', ttl } : { type: 'ephemeral' };
}

/** Text parts to text blocks; empty texts are dropped because the Messages API rejects them. */
export function textBlocks(content: string | TextPart[] | null | undefined): AnthropicTextBlock[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  const out: AnthropicTextBlock[] = [];
  for (const part of content) {
    if (part.text === '') continue;
    const block: AnthropicTextBlock = { type: 'text', text: part.text };
    const cc = cacheControlOf(part);
    if (cc) block.cache_control = cc;
    out.push(block);
  }
  return out;
}

const DATA_URL = /^data:([^;,]+);base64,(.+)$/s;

function imageBlock(url: string, param: string): AnthropicImageBlock {
  const data = DATA_URL.exec(url);
  if (data) return { type: 'image', source: { type: 'base64', media_type: data[1] as string, data: data[2] as string } };
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw bad(param, `'${param}' must be a base64 data URL or an http(s) URL for this provider.`);
}

function userBlocks(content: string | ContentPart[], param: string): AnthropicContentBlock[] {
  if (typeof content === 'string') return textBlocks(content);
  const out: AnthropicContentBlock[] = [];
  content.forEach((part, i) => {
    if (part.type === 'text') out.push(...textBlocks([part]));
    else {
      const block = imageBlock(part.image_url.url, `${param}[${i}].image_url.url`);
      const cc = cacheControlOf(part);
      if (cc) block.cache_control = cc;
      out.push(block);
    }
  });
  return out;
}

/** Tool-call arguments as the object Anthropic's `tool_use.input` needs; "" means no arguments. */
function toolInput(args: string, param: string): Record<string, unknown> {
  if (args.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    throw bad(param, `'${param}' must be a JSON object to be sent to this provider.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw bad(param, `'${param}' must be a JSON object to be sent to this provider.`);
  }
  return parsed as Record<string, unknown>;
}

export interface EncodedConversation {
  system: AnthropicTextBlock[];
  messages: AnthropicMessage[];
}

/**
 * OpenAI messages to Anthropic's system + alternating turns: system/developer messages (wherever they
 * are) join `system`; tool results become `tool_result` blocks of a user turn; consecutive turns of
 * the same role are merged, since the Messages API wants user and assistant to alternate.
 */
export function encodeConversation(messages: readonly ChatMessage[]): EncodedConversation {
  const system: AnthropicTextBlock[] = [];
  const turns: AnthropicMessage[] = [];
  const push = (role: AnthropicMessage['role'], blocks: AnthropicContentBlock[]): void => {
    if (blocks.length === 0) return;
    const last = turns[turns.length - 1];
    if (last && last.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };
  messages.forEach((m, i) => {
    const param = `messages[${i}]`;
    switch (m.role) {
      case 'system':
      case 'developer':
        system.push(...textBlocks(m.content));
        break;
      case 'user':
        push('user', userBlocks(m.content, `${param}.content`));
        break;
      case 'assistant': {
        const blocks: AnthropicContentBlock[] = textBlocks(m.content);
        (m.tool_calls ?? []).forEach((tc, j) => {
          blocks.push({ type: 'tool_use', id: tc.id, name: tc.function.name, input: toolInput(tc.function.arguments, `${param}.tool_calls[${j}].function.arguments`) });
        });
        push('assistant', blocks);
        break;
      }
      case 'tool': {
        const content = typeof m.content === 'string' ? m.content : textBlocks(m.content);
        push('user', [{ type: 'tool_result', tool_use_id: m.tool_call_id, content }]);
        break;
      }
    }
  });
  if (turns.length === 0) throw bad('messages', 'At least one user or assistant message with content is required by this provider.');
  // The Messages API wants a user turn's tool_result blocks before any other content.
  for (const turn of turns) {
    if (turn.role === 'user') turn.content.sort((a, b) => Number(b.type === 'tool_result') - Number(a.type === 'tool_result'));
  }
  return { system, messages: turns };
}
