import { makeUsage, type AssistantPart, type ChatRequest, type ChatResponse, type EmbeddingRequest, type FilePart, type ImagePart, type Message, type Usage } from './types.js';

/** Characters to tokens, four characters a token. */
function charTokens(chars: number): number {
  return chars === 0 ? 0 : Math.ceil(chars / 4);
}

/** Rough token count (four characters a token), for context-window checks and broken-stream billing. */
export function estimateTokens(text: string): number {
  return charTokens(text.length);
}

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

/*
 * Media are billed by what the upstream makes of them, which the estimate cannot see; it must still
 * never be far below the bill, since hard budgets and token limits reserve it before the request goes.
 */

/** `detail: low`: OpenAI's fixed cost of a 512-px image (upstreams other than OpenAI's ignore the detail). */
const LOW_DETAIL_IMAGE_TOKENS = 85;
/**
 * Any other image, whatever its bytes (every upstream resizes before it bills): the most a standard
 * image costs, OpenAI's 8 high-detail tiles (8 x 170 + 85 = 1,445) or 1,536 patches, Claude's
 * 1.15 megapixels at 750 pixels a token (about 1,600).
 */
const IMAGE_TOKENS = 1_600;
/** `detail: original` (Responses API): OpenAI's budget of 10,000 32-px patches. */
const ORIGINAL_IMAGE_TOKENS = 10_000;

/**
 * A document page: Anthropic bills 1,500-3,000 tokens of text per page plus the page as an image; a
 * document is never cheaper than one (the floor), and one given by URL, whose size is unknown, is taken
 * as ten.
 */
const PAGE_TOKENS = 3_000;
/** The least a document may cost: a short page of text. */
const MIN_DOCUMENT_TOKENS = 500;
const URL_DOCUMENT_TOKENS = 10 * PAGE_TOKENS;
/**
 * Inline documents (PDF and any other binary type) by size: a page (3,000 tokens) per 48 KB. No
 * provider states tokens per byte; a page of a PDF with fonts and figures is tens of KB, and at this
 * rate the largest PDF a 4 MB body holds (3 MB) still fits a 200K context window.
 */
const DOCUMENT_BYTES_PER_TOKEN = 16;
/** Media types an upstream reads as text: their bytes count as text does, four a token. */
const TEXT_MEDIA = /^(?:text\/|application\/(?:json|xml|yaml|x-yaml|javascript|x-ndjson|csv)\b|[\w.-]+\/[\w.-]+\+(?:json|xml)\b)/i;

function imageTokens(p: ImagePart): number {
  if (p.detail === 'low') return LOW_DETAIL_IMAGE_TOKENS;
  return p.detail === 'original' ? ORIGINAL_IMAGE_TOKENS : IMAGE_TOKENS;
}

/** A document's tokens: by its decoded size when inline (read from the base64 length, never decoded). */
function fileTokens(p: FilePart): number {
  const source = p.source;
  if (source.type === 'url') return URL_DOCUMENT_TOKENS;
  const bytes = Math.floor((source.data.length * 3) / 4);
  if (TEXT_MEDIA.test(source.mediaType)) return charTokens(bytes);
  return Math.max(PAGE_TOKENS, Math.ceil(bytes / DOCUMENT_BYTES_PER_TOKEN));
}

/**
 * About the length of `value` written as JSON (string escapes aside), without writing it: a walk with
 * a stack of what is left to visit, so a large schema costs no string of its size and no recursion.
 * Members that are undefined are skipped, as JSON.stringify skips them.
 */
function jsonChars(value: unknown): number {
  let chars = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (typeof v === 'string') chars += v.length + 2;
    else if (typeof v === 'number') chars += String(v).length;
    else if (typeof v === 'boolean') chars += 5;
    else if (v === null) chars += 4;
    else if (Array.isArray(v)) {
      chars += v.length + 1;
      for (const item of v) pending.push(item);
    } else if (typeof v === 'object') {
      chars += 2;
      for (const key in v) {
        const member = (v as Record<string, unknown>)[key];
        if (member === undefined) continue;
        chars += key.length + 4;
        pending.push(member);
      }
    }
  }
  return chars;
}

/**
 * Estimated prompt tokens of a chat request: everything it sends upstream that the upstream bills as
 * input. The messages (text, reasoning, encrypted reasoning, tool calls and results with their ids,
 * participant names), images and files (see above), tool definitions, the tool choice, the response
 * format with its JSON schema, stop sequences, and the passthrough fields. It is what hard budgets and
 * token limits reserve before the request goes, so nothing a client can make large may be left out: a
 * prompt carried in a response format's schema once reserved 20 tokens, and any number of them passed.
 */
export function estimatePromptTokens(req: ChatRequest): number {
  return estimatePrompt(req).tokens;
}

/**
 * `tokens`: the estimate above (`estimatePromptTokens`), which must never be far below the bill.
 * `floor`: the same with every image and binary document at the least it may cost (85 tokens, a
 * 500-token page; a text file is its size), for the context-window check and token counting: the upstream refuses a prompt past its window itself (a
 * fallback follows), while a deployment the estimate filtered out was never asked; 100 images at
 * 1,600 tokens each would have turned a 128K-window model away from a request it takes.
 */
export function estimatePrompt(req: ChatRequest): { tokens: number; floor: number } {
  let chars = 0;
  let tokens = 0;
  let floor = 0;
  for (const m of req.messages) {
    tokens += MESSAGE_OVERHEAD;
    floor += MESSAGE_OVERHEAD;
    chars += m.role === 'tool' ? m.toolCallId.length : (m.name?.length ?? 0);
    for (const p of m.content) {
      if (p.type === 'text' || p.type === 'reasoning') chars += p.text.length;
      else if (p.type === 'tool-call') chars += p.id.length + p.name.length + p.arguments.length;
      // Sent back to the upstream that encrypted it, which reads the reasoning again.
      else if (p.type === 'redacted-reasoning') chars += p.data.length;
      else if (p.type === 'image') {
        tokens += imageTokens(p);
        floor += LOW_DETAIL_IMAGE_TOKENS;
      } else {
        const file = fileTokens(p);
        tokens += file;
        // A text file is read as text: its size is what it costs, at the least too.
        floor += p.source.type === 'base64' && TEXT_MEDIA.test(p.source.mediaType) ? file : Math.min(file, MIN_DOCUMENT_TOKENS);
      }
    }
  }
  if (req.tools) chars += jsonChars(req.tools);
  if (req.toolChoice) chars += jsonChars(req.toolChoice);
  if (req.responseFormat) chars += jsonChars(req.responseFormat);
  if (req.stopSequences) for (const stop of req.stopSequences) chars += stop.length;
  if (req.passthrough) chars += jsonChars(req.passthrough);
  const text = charTokens(chars);
  return { tokens: tokens + text, floor: floor + text };
}

/** `estimatePrompt`'s figures with a system message of `text` put in front (a group's system prompt). */
export function withSystemPrompt(prompt: { tokens: number; floor: number }, text: string): { tokens: number; floor: number } {
  const added = MESSAGE_OVERHEAD + estimateTokens(text);
  return { tokens: prompt.tokens + added, floor: prompt.floor + added };
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

/** Prompt tokens of an embeddings request: the number of ids when it sends token ids (exact), else the texts' estimate. */
export function embeddingPromptTokens(req: EmbeddingRequest): number {
  let tokens = 0;
  if (req.tokens !== undefined) for (const ids of req.tokens) tokens += ids.length;
  else for (const text of req.input) tokens += estimateTokens(text);
  return tokens;
}
