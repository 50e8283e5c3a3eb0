import { makeUsage, type AssistantPart, type ChatRequest, type ChatResponse, type EmbeddingRequest, type FilePart, type ImagePart, type Message, type Usage } from './types.js';

/** Characters to tokens, four characters a token. */
function charTokens(chars: number): number {
  return chars === 0 ? 0 : Math.ceil(chars / 4);
}

/** Rough token count (four characters a token), for context-window checks and broken-stream billing. */
export function estimateTokens(text: string): number {
  return charTokens(text.length);
}

const utf8 = new TextEncoder();
/** Code units encoded a call; the scratch holds their most, 3 bytes each, so one call counts them all. */
const UTF8_CHUNK = 16_384;
const utf8Scratch = new Uint8Array(3 * UTF8_CHUNK);

/** UTF-8 bytes of `text`, by the platform's encoder: ~0.5 µs for 10 KB of ASCII, 20-40 times less than a loop over its characters. */
function utf8Bytes(text: string): number {
  if (text.length <= UTF8_CHUNK) return utf8.encodeInto(text, utf8Scratch).written;
  let bytes = 0;
  // A surrogate pair cut between two slices counts 6 bytes rather than 4: over, never under.
  for (let at = 0; at < text.length; at += UTF8_CHUNK) bytes += utf8.encodeInto(text.slice(at, at + UTF8_CHUNK), utf8Scratch).written;
  return bytes;
}

/** From this many code units the encoder (`utf8Bytes`) tells non-ASCII text quicker than a scan. */
const SHORT_TEXT = 64;
/** Below this many, a loop is quicker than the regex engine. */
const TINY_TEXT = 16;
const NON_ASCII = /[^\0-\x7f]/;

/**
 * Whether a short `text` is all ASCII: a schema's keys and short strings (a request with 20 tools of 40
 * properties walks ~3,000 of them), a call to the encoder for each of which cost that request 63 ->
 * 343 µs; by a loop, then a regex, 140 µs. Longer text is left to the encoder, quicker there (10 KB:
 * 0.8 µs against 5.7 for the regex).
 */
function isShortAscii(text: string): boolean {
  if (text.length >= SHORT_TEXT) return false;
  if (text.length >= TINY_TEXT) return !NON_ASCII.test(text);
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * Quarter tokens `text` may cost beyond four characters a token, nothing for ASCII, from its length and
 * UTF-8 size alone: at least 2 x length - bytes of its characters are ASCII (any other adds a byte or
 * more), each a quarter token, and each other byte is a token. Exact for ASCII mixed with 2-byte
 * characters (accented Latin, Cyrillic, Greek, Arabic), over by at most 3/4 of a token a character for
 * ASCII mixed with 3-byte ones (CJK, Thai, Devanagari).
 */
function wideQuarters(text: string): number {
  const units = text.length;
  if (units === 0 || isShortAscii(text)) return 0;
  const bytes = utf8Bytes(text);
  if (bytes === units) return 0;
  // A token a byte: no token of a byte-level BPE (o200k, cl100k, Claude) or byte-fallback SentencePiece (Gemini) holds less.
  return 4 * bytes - 3 * Math.max(0, 2 * units - bytes) - units;
}

/** Tokens of `text` at most: ASCII four characters a token, other text a token a UTF-8 byte. */
function textTokens(text: string): number {
  return charTokens(text.length + wideQuarters(text));
}

/**
 * Text seen two ways: `chars`, its UTF-16 code units (the floor's four characters a token), and `wide`,
 * the quarter tokens non-ASCII text may cost beyond them (the estimate's).
 */
class TextCount {
  chars = 0;
  wide = 0;

  add(text: string): void {
    this.chars += text.length;
    this.wide += wideQuarters(text);
  }

  /** The count of `extra` characters that are not text (JSON punctuation, ASCII by construction). */
  addChars(extra: number): void {
    this.chars += extra;
  }

  /** Tokens at most: ASCII four characters a token, other text a token a UTF-8 byte. */
  get tokens(): number {
    return charTokens(this.chars + this.wide);
  }

  /** Tokens at the least it likely costs, four characters a token whatever the script, for the context-window floor. */
  get floor(): number {
    return charTokens(this.chars);
  }

  /**
   * Tokens it likely costs, billed when an upstream reports none: non-ASCII text at half the most it may
   * cost (a CJK character about 1.6 tokens, a Cyrillic one about 1.1: the tokenizers' counts run 1-1.5 and
   * 0.3-1), as a bill should be neither the ceiling a reservation holds nor the floor.
   */
  get likely(): number {
    return charTokens(this.chars + Math.ceil(this.wide / 2));
  }
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

/**
 * `detail: low`: OpenAI's fixed cost of a 512-px image on its 4o-class models, the least an image is
 * taken to cost (the floor). The estimate never counts it: Claude, Gemini, Bedrock and self-hosted
 * models ignore the detail and bill the image by its pixels, and which upstream serves is not known here.
 */
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
 * A document page as Claude bills it: up to 3,000 tokens of text plus the page as an image (about
 * 1,600). An inline document is never taken as less than one (the floor is less), and one given by URL,
 * whose size is unknown, is taken as ten.
 */
const PAGE_TOKENS = 4_600;
/** The least a document may cost: a short page of text. */
const MIN_DOCUMENT_TOKENS = 500;
const URL_DOCUMENT_TOKENS = 10 * PAGE_TOKENS;
/**
 * Inline documents (PDF and any other binary type) by size, a token a byte. A dense page of text in a
 * PDF is 5-7 KB (compressed, no figures) and bills 0.55-0.7 tokens a byte (measured: pdfkit and pdf-lib
 * pages of 7-10 pt text, its tokens by cl100k and Claude's tokenizer, plus 1,600 for the page's image);
 * a byte a token leaves room for denser pages, such as tables of figures. A PDF of photos is far over.
 */
const DOCUMENT_BYTES_PER_TOKEN = 1;
/**
 * The most one inline document is taken to cost: 100 pages, the most Claude reads of a document on its
 * 200K-window models (a page past it is refused, not billed). Without it a 3 MB PDF of photos (a few
 * dozen pages, some 50K tokens billed) reserved 3.1M tokens, more than any model's window: a hard budget
 * or token limit would refuse a request that costs a fraction of it.
 */
const MAX_DOCUMENT_TOKENS = 100 * PAGE_TOKENS;
/** Media types an upstream reads as text: their bytes count as text does, four a token. */
const TEXT_MEDIA = /^(?:text\/|application\/(?:json|xml|yaml|x-yaml|javascript|x-ndjson|csv)\b|[\w.-]+\/[\w.-]+\+(?:json|xml)\b)/i;

function imageTokens(p: ImagePart): number {
  return p.detail === 'original' ? ORIGINAL_IMAGE_TOKENS : IMAGE_TOKENS;
}

/** A document's tokens: by its decoded size when inline (read from the base64 length, never decoded). */
function fileTokens(p: FilePart): number {
  const source = p.source;
  if (source.type === 'url') return URL_DOCUMENT_TOKENS;
  const bytes = Math.floor((source.data.length * 3) / 4);
  if (TEXT_MEDIA.test(source.mediaType)) return charTokens(bytes);
  return Math.min(MAX_DOCUMENT_TOKENS, Math.max(PAGE_TOKENS, Math.ceil(bytes / DOCUMENT_BYTES_PER_TOKEN)));
}

/**
 * `value` written as JSON (string escapes aside) added to `count`, without writing it: a walk with a
 * stack of what is left to visit, so a large schema costs no string of its size and no recursion.
 * Members that are undefined are skipped, as JSON.stringify skips them.
 */
function countJson(value: unknown, count: TextCount): void {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (typeof v === 'string') {
      count.add(v);
      count.addChars(2);
    } else if (typeof v === 'number') count.addChars(String(v).length);
    else if (typeof v === 'boolean') count.addChars(5);
    else if (v === null) count.addChars(4);
    else if (Array.isArray(v)) {
      count.addChars(v.length + 1);
      for (const item of v) pending.push(item);
    } else if (typeof v === 'object') {
      count.addChars(2);
      for (const key in v) {
        const member = (v as Record<string, unknown>)[key];
        if (member === undefined) continue;
        count.add(key);
        count.addChars(4);
        pending.push(member);
      }
    }
  }
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
 * `floor`: what the prompt likely costs at the least, for the context-window check and token counting:
 * every image at 85 tokens and binary document at a 500-token page (a text file is its size), and all
 * text at four characters a token, whatever its script. The upstream refuses a prompt past its window
 * itself (a fallback follows), while a deployment the estimate filtered out was never asked: 100 images
 * at 1,600 tokens each, or Chinese text at a token a byte, would turn a model away from a prompt it takes.
 * `likely`: what the prompt is billed when the upstream reports no usage (or an attempt failed after it
 * was sent): non-ASCII text between the two (`TextCount.likely`), a `detail: low` image at 85, anything
 * else as `tokens` counts it; the ceiling is what admission reserves, never what the ledger records.
 */
export function estimatePrompt(req: ChatRequest): PromptEstimate {
  const text = new TextCount();
  let tokens = 0;
  let floor = 0;
  let lowImages = 0;
  for (const m of req.messages) {
    tokens += MESSAGE_OVERHEAD;
    floor += MESSAGE_OVERHEAD;
    if (m.role === 'tool') text.add(m.toolCallId);
    else if (m.name !== undefined) text.add(m.name);
    for (const p of m.content) {
      if (p.type === 'text' || p.type === 'reasoning') text.add(p.text);
      else if (p.type === 'tool-call') {
        text.add(p.id);
        text.add(p.name);
        text.add(p.arguments);
      }
      // Sent back to the upstream that encrypted it, which reads the reasoning again.
      else if (p.type === 'redacted-reasoning') text.add(p.data);
      else if (p.type === 'image') {
        tokens += imageTokens(p);
        floor += LOW_DETAIL_IMAGE_TOKENS;
        if (p.detail === 'low') lowImages += 1;
      } else {
        const file = fileTokens(p);
        tokens += file;
        // A text file is read as text: its size is what it costs, at the least too.
        floor += p.source.type === 'base64' && TEXT_MEDIA.test(p.source.mediaType) ? file : Math.min(file, MIN_DOCUMENT_TOKENS);
      }
    }
  }
  if (req.tools) countJson(req.tools, text);
  if (req.toolChoice) countJson(req.toolChoice, text);
  if (req.responseFormat) countJson(req.responseFormat, text);
  if (req.stopSequences) for (const stop of req.stopSequences) text.add(stop);
  if (req.passthrough) countJson(req.passthrough, text);
  const likely = tokens - lowImages * (IMAGE_TOKENS - LOW_DETAIL_IMAGE_TOKENS) + text.likely;
  return { tokens: tokens + text.tokens, floor: floor + text.floor, likely };
}

/** A prompt's estimates (`estimatePrompt`): the most it may cost, the least, and what it likely costs. */
export interface PromptEstimate {
  tokens: number;
  floor: number;
  likely: number;
}

/** `estimatePrompt`'s figures with a system message of `text` put in front (a group's system prompt). */
export function withSystemPrompt(prompt: PromptEstimate, text: string): PromptEstimate {
  const system = new TextCount();
  system.add(text);
  return { tokens: prompt.tokens + MESSAGE_OVERHEAD + system.tokens, floor: prompt.floor + MESSAGE_OVERHEAD + system.floor, likely: prompt.likely + MESSAGE_OVERHEAD + system.likely };
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

/** Prompt tokens of an embeddings request: the number of ids when it sends token ids (exact), else the texts' estimate, which budgets and token limits reserve. */
export function embeddingPromptTokens(req: EmbeddingRequest): number {
  let tokens = 0;
  if (req.tokens !== undefined) for (const ids of req.tokens) tokens += ids.length;
  else for (const text of req.input) tokens += textTokens(text);
  return tokens;
}
