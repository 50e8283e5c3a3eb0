import { makeUsage, type AssistantMessage, type ChatMessage, type ChatRequest, type ChatResponse, type Usage } from './types.js';

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

/** Estimated completion tokens of an answer (text, tool calls, reasoning), for upstreams that report no usage. */
export function estimateAnswerTokens(m: AssistantMessage): number {
  return estimateTokens(messageText(m) + (m.reasoning_content ?? ''));
}

/** An answer whose upstream reported no usage (`usageEstimated`) gets the gateway's estimate, never zero. */
export function withEstimatedUsage(response: ChatResponse, promptTokens: number): ChatResponse {
  if (!response.usageEstimated) return response;
  response.usage = makeUsage({ prompt: promptTokens, completion: estimateAnswerTokens(response.message) });
  return response;
}

/**
 * Usage with its reasoning part counted from the reasoning text's length, for wire formats that include thinking
 * in their output tokens without saying how many (Anthropic, Bedrock). Never more than the output.
 */
export function withReasoningTokens(usage: Usage, reasoningChars: number): Usage {
  if (reasoningChars === 0 || usage.reasoning > 0) return usage;
  return { ...usage, reasoning: Math.min(usage.completion, Math.ceil(reasoningChars / 4)) };
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
