import type { ChatMessage, ChatRequest } from './types.js';

/** Rough token count (four characters a token), for context-window checks and broken-stream billing. */
export function estimateTokens(text: string): number {
  return text.length === 0 ? 0 : Math.ceil(text.length / 4);
}

function messageText(m: ChatMessage): string {
  const c = m.content;
  let text = '';
  if (typeof c === 'string') text = c;
  else if (Array.isArray(c)) for (const p of c) if (p.type === 'text') text += p.text;
  if (m.role === 'assistant' && m.tool_calls) for (const t of m.tool_calls) text += t.function.name + t.function.arguments;
  return text;
}

const IMAGE_TOKENS = 85;
const MESSAGE_OVERHEAD = 4;

/** Estimated prompt tokens of a chat request: text, tool schemas and a fixed cost per image. */
export function estimatePromptTokens(req: ChatRequest): number {
  let tokens = 0;
  for (const m of req.messages) {
    tokens += MESSAGE_OVERHEAD + estimateTokens(messageText(m));
    if (Array.isArray(m.content)) for (const p of m.content) if (p.type === 'image_url') tokens += IMAGE_TOKENS;
  }
  if (req.tools) tokens += estimateTokens(JSON.stringify(req.tools));
  return tokens;
}
