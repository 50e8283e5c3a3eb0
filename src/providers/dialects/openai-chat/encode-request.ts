import { CHAT_FIELD_NAMES, copyPassthrough } from '../../../core/fields.js';
import type { ChatMessage, ChatRequest, ContentPart, EmbeddingRequest } from '../../../core/types.js';

type Forwarded = Exclude<(typeof CHAT_FIELD_NAMES)[number], 'model' | 'stream' | 'stream_options' | 'messages'>;

/** The chat fields forwarded as the client gave them; model, stream and stream_options are the gateway's, messages are encoded. */
const FORWARDED = CHAT_FIELD_NAMES.filter((key): key is Forwarded => key !== 'model' && key !== 'stream' && key !== 'stream_options' && key !== 'messages');

/**
 * The wire body for an OpenAI-compatible chat call, built from the mapped fields only (never a spread
 * of the client's body), plus the fields the deployment lets through (`passthrough`). On a server that
 * continues a final assistant message (`prefill`, vLLM), a request ending with one asks for that.
 */
export function encodeChatRequest(request: ChatRequest, model: string, stream: boolean, passthrough: readonly string[] = [], prefill = false): Record<string, unknown> {
  const body: Record<string, unknown> = { model, messages: encodeMessages(request.messages) };
  for (const key of FORWARDED) {
    const v = request[key];
    if (v !== undefined && v !== null) body[key] = v;
  }
  body.stream = stream;
  if (stream) body.stream_options = { include_usage: true };
  if (passthrough.length > 0) copyPassthrough(request, passthrough, body);
  if (prefill && request.messages.at(-1)?.role === 'assistant') {
    body.continue_final_message = true;
    body.add_generation_prompt = false;
  }
  return body;
}

/**
 * The messages with their content parts built field by field: canonical parts carry marks meant for
 * other dialects (`cache_control`), which an OpenAI-compatible server may reject. Messages whose content
 * is a string, the common case, are passed as they are, and so is the array when all of them are.
 */
function encodeMessages(messages: readonly ChatMessage[]): readonly unknown[] {
  if (!messages.some((m) => Array.isArray(m.content))) return messages;
  return messages.map((m) => (Array.isArray(m.content) ? { ...m, content: m.content.map(encodePart) } : m));
}

function encodePart(part: ContentPart): Record<string, unknown> {
  if (part.type === 'text') return { type: 'text', text: part.text };
  const { url, detail } = part.image_url;
  return { type: 'image_url', image_url: detail === undefined ? { url } : { url, detail } };
}

export function encodeEmbeddingRequest(request: EmbeddingRequest, model: string, passthrough: readonly string[] = []): Record<string, unknown> {
  const body: Record<string, unknown> = { input: request.input, model, encoding_format: 'float' };
  if (request.dimensions !== undefined) body.dimensions = request.dimensions;
  if (request.user !== undefined) body.user = request.user;
  if (passthrough.length > 0) copyPassthrough(request, passthrough, body);
  return body;
}
