import { makeUsage, type AssistantPart, type ChatRequest, type ChatResponse, type EmbeddingRequest, type Message, type Usage } from './types.js';

/** Rough token count (four characters a token), for context-window checks and broken-stream billing. */
export function estimateTokens(text: string): number {
  return text.length === 0 ? 0 : Math.ceil(text.length / 4);
}

const IMAGE_TOKENS = 85;
/** A document's size is unknown until the upstream reads it: a page's worth, so it is never free. */
const FILE_TOKENS = 500;
const MESSAGE_OVERHEAD = 4;

/** Characters of a message's (or an answer's) parts that the model reads or wrote as text. */
function partsChars(parts: readonly Message['content'][number][]): number {
  let chars = 0;
  for (const p of parts) {
    if (p.type === 'text' || p.type === 'reasoning') chars += p.text.length;
    else if (p.type === 'tool-call') chars += p.name.length + p.arguments.length;
  }
  return chars;
}

/** Tokens of a message's images and files, at a fixed cost each. */
function mediaTokens(parts: readonly Message['content'][number][]): number {
  let tokens = 0;
  for (const p of parts) {
    if (p.type === 'image') tokens += IMAGE_TOKENS;
    else if (p.type === 'file') tokens += FILE_TOKENS;
  }
  return tokens;
}

/** Estimated completion tokens of an answer (text, tool calls, reasoning, a refusal's words), for upstreams that report no usage. */
export function estimateAnswerTokens(content: readonly AssistantPart[], refusal?: string): number {
  const chars = partsChars(content) + (refusal?.length ?? 0);
  return chars === 0 ? 0 : Math.ceil(chars / 4);
}

/** An answer whose upstream reported no usage (`usageEstimated`) gets the gateway's estimate, never zero. */
export function withEstimatedUsage(response: ChatResponse, promptTokens: number): ChatResponse {
  if (!response.usageEstimated) return response;
  response.usage = makeUsage({ prompt: promptTokens, completion: estimateAnswerTokens(response.content, response.refusal) });
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

/** Estimated prompt tokens of a chat request: text, tool calls, reasoning, tool schemas and a fixed cost per image or file. */
export function estimatePromptTokens(req: ChatRequest): number {
  let tokens = 0;
  for (const m of req.messages) {
    const chars = partsChars(m.content);
    tokens += MESSAGE_OVERHEAD + (chars === 0 ? 0 : Math.ceil(chars / 4)) + mediaTokens(m.content);
  }
  if (req.tools) tokens += estimateTokens(JSON.stringify(req.tools));
  return tokens;
}

/** Prompt tokens of an embeddings request: the number of ids when it sends token ids (exact), else the texts' estimate. */
export function embeddingPromptTokens(req: EmbeddingRequest): number {
  let tokens = 0;
  if (req.tokens !== undefined) for (const ids of req.tokens) tokens += ids.length;
  else for (const text of req.input) tokens += estimateTokens(text);
  return tokens;
}
