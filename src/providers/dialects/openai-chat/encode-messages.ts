import { GatewayError } from '../../../core/errors.js';
import type { AssistantMessage, ImagePart, MediaSource, Message, TextPart, ToolMessage, UserPart } from '../../../core/types.js';

type WireObject = Record<string, unknown>;

/**
 * The canonical conversation as OpenAI chat messages, built field by field in one pass. Cache hints
 * are never sent (OpenAI caches on its own); reasoning from earlier turns stays behind, as
 * OpenAI-compatible servers refuse it in history. `lowered` gets the place of each image whose detail
 * Chat Completions has no value for (`original`), sent as `auto`.
 */
export function encodeMessages(messages: readonly Message[], provider: string, lowered: string[] = []): WireObject[] {
  const out = new Array<WireObject>(messages.length);
  for (let i = 0; i < messages.length; i++) out[i] = encodeMessage(messages[i] as Message, i, provider, lowered);
  return out;
}

function encodeMessage(message: Message, at: number, provider: string, lowered: string[]): WireObject {
  switch (message.role) {
    case 'system':
      return withName({ role: 'system', content: encodeTextContent(message.content) }, message.name);
    case 'user':
      return withName({ role: 'user', content: encodeUserContent(message.content, at, provider, lowered) }, message.name);
    case 'assistant':
      return encodeAssistant(message);
    case 'tool':
      // OpenAI has no error flag on tool results: `isError` results travel as their text, which says so.
      return { role: 'tool', tool_call_id: message.toolCallId, content: encodeToolContent(message, at, provider) };
  }
}

/** The participant's `name`, which OpenAI and Azure read (to tell speakers of one role apart). */
function withName(out: WireObject, name: string | undefined): WireObject {
  if (name !== undefined) out.name = name;
  return out;
}

/** One unmarked text part travels as a plain string: what clients send most, and what upstreams saw before. */
function plainText(parts: readonly UserPart[] | readonly TextPart[] | ToolMessage['content']): string | undefined {
  const only = parts.length === 1 ? parts[0] : undefined;
  return only?.type === 'text' && only.cacheControl === undefined ? only.text : undefined;
}

function encodeTextContent(parts: readonly TextPart[]): string | WireObject[] {
  const plain = plainText(parts);
  if (plain !== undefined) return plain;
  // OpenAI refuses an empty content array.
  if (parts.length === 0) return '';
  const out = new Array<WireObject>(parts.length);
  for (let j = 0; j < parts.length; j++) out[j] = { type: 'text', text: (parts[j] as TextPart).text };
  return out;
}

function encodeUserContent(parts: readonly UserPart[], at: number, provider: string, lowered: string[]): string | WireObject[] {
  const plain = plainText(parts);
  if (plain !== undefined) return plain;
  const out = new Array<WireObject>(parts.length);
  for (let j = 0; j < parts.length; j++) {
    const part = parts[j] as UserPart;
    if (part.type === 'text') out[j] = { type: 'text', text: part.text };
    else if (part.type === 'image') out[j] = { type: 'image_url', image_url: imageUrl(part, `messages[${at}].content[${j}]`, lowered) };
    else {
      // OpenAI reads files inline only (file_data) or by its own file ids, never from a URL.
      if (part.source.type === 'url') throw unsupportedPart(at, j, provider, 'a file from a URL; send its bytes (base64) instead');
      const file_data = mediaUrl(part.source);
      out[j] = { type: 'file', file: part.filename === undefined ? { file_data } : { file_data, filename: part.filename } };
    }
  }
  return out;
}

/** The Responses API's `original` detail has no Chat Completions value: the nearest, `auto`, noted in `lowered`. */
function imageUrl(part: ImagePart, place: string, lowered: string[]): WireObject {
  const url = mediaUrl(part.source);
  if (part.detail === undefined) return { url };
  if (part.detail !== 'original') return { url, detail: part.detail };
  lowered.push(place);
  return { url, detail: 'auto' };
}

/** Inline bytes as the `data:` URL OpenAI reads; a URL as it is. */
function mediaUrl(source: MediaSource): string {
  return source.type === 'base64' ? `data:${source.mediaType};base64,${source.data}` : source.url;
}

/** Text joined (null when the turn only called tools) and the tool calls; reasoning is not sent back. */
function encodeAssistant(message: AssistantMessage): WireObject {
  let text: string | undefined;
  let calls: WireObject[] | undefined;
  for (const part of message.content) {
    if (part.type === 'text') text = text === undefined ? part.text : text + part.text;
    else if (part.type === 'tool-call') (calls ??= []).push({ id: part.id, type: 'function', function: { name: part.name, arguments: part.arguments } });
  }
  const out = withName({ role: 'assistant', content: text ?? (calls ? null : '') }, message.name);
  if (calls) out.tool_calls = calls;
  return out;
}

/**
 * Tool results as text. OpenAI tool messages take text only, and an image result is refused rather
 * than dropped: the model would answer without what the tool returned, and a warning would reach the
 * client only after the tokens were spent. The error lets the router try a deployment that takes it.
 */
function encodeToolContent(message: ToolMessage, at: number, provider: string): string | WireObject[] {
  const parts = message.content;
  const plain = plainText(parts);
  if (plain !== undefined) return plain;
  // No parts (an Anthropic tool_result with empty content): OpenAI refuses an empty content array.
  if (parts.length === 0) return '';
  const out = new Array<WireObject>(parts.length);
  for (let j = 0; j < parts.length; j++) {
    const part = parts[j] as ToolMessage['content'][number];
    if (part.type !== 'text') throw unsupportedPart(at, j, provider, 'an image in a tool result; OpenAI tool messages take text only');
    out[j] = { type: 'text', text: part.text };
  }
  return out;
}

function unsupportedPart(at: number, j: number, provider: string, what: string): GatewayError {
  const param = `messages[${at}].content[${j}]`;
  return new GatewayError({
    kind: 'invalid_request',
    message: `Upstream ${provider} cannot take ${param}: ${what}.`,
    param,
    provider,
    // Another deployment's upstream may take the part; a request problem, so no health penalty.
    fallbackable: true,
    unsent: true,
  });
}
