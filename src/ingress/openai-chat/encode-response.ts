import type { ChatResponse, EmbeddingResponse, FinishReason, ServedAs, StreamPart, Usage } from '../../core/types.js';
import { encodeUsage } from '../../providers/dialects/openai-chat/usage.js';

/**
 * Canonical response to the OpenAI chat.completion JSON a client receives, under the gateway's own id
 * (as its stream has): `extra` joins the usage and provider metadata rides along only when the client opted in.
 * `service_tier` and `system_fingerprint` are always in OpenAI's answers: the upstream's where it reported
 * them (OpenAI, Azure, some OpenAI-compatible servers), else null (Claude, Gemini and Converse have neither).
 */
export function encodeChatResponse(res: ChatResponse, id: string, model: string, extra?: Record<string, unknown>, extensions = false): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id,
    object: 'chat.completion',
    created: res.created,
    model,
    choices: [{ index: 0, message: encodeMessage(res), logprobs: null, finish_reason: res.finishReason }],
    usage: withExtra(encodeUsage(res.usage), extra),
    service_tier: res.servedAs?.serviceTier ?? null,
    system_fingerprint: res.servedAs?.systemFingerprint ?? null,
  };
  if (extensions && res.providerMetadata) body.switchyard_extensions = res.providerMetadata;
  return body;
}

interface WireToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/**
 * The answer's parts as OpenAI's assistant message, in one pass: text joined into `content` (null when
 * there is none and the answer is tool calls or a refusal), tool calls, the refusal (null without one),
 * `annotations` (none: no upstream's citations map to OpenAI's), and reasoning as
 * `reasoning_content` (the name OpenAI-compatible servers use). Redacted reasoning has no OpenAI form.
 */
function encodeMessage(res: ChatResponse): Record<string, unknown> {
  let text: string | undefined;
  let reasoning = '';
  let calls: WireToolCall[] | undefined;
  for (const part of res.content) {
    if (part.type === 'text') text = text === undefined ? part.text : text + part.text;
    else if (part.type === 'reasoning') reasoning += part.text;
    else if (part.type === 'tool-call') (calls ??= []).push({ id: part.id, type: 'function', function: { name: part.name, arguments: part.arguments } });
  }
  const message: Record<string, unknown> = { role: 'assistant', content: text ?? (calls || res.refusal !== undefined ? null : '') };
  if (calls) message.tool_calls = calls;
  // Always there in OpenAI's message, null and empty unless the model refused or cited.
  message.refusal = res.refusal ?? null;
  message.annotations = [];
  if (reasoning !== '') message.reasoning_content = reasoning;
  return message;
}

/** The wire usage with the gateway's extension keys added in place (encodeUsage returns a fresh object). */
function withExtra(usage: object, extra: Record<string, unknown> | undefined): object {
  return extra ? Object.assign(usage, extra) : usage;
}

/** A vector as OpenAI's base64 encoding: little-endian float32 bytes (what the openai SDK asks for). */
function toBase64(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

export function encodeEmbeddingResponse(res: EmbeddingResponse, model: string, format: 'float' | 'base64' = 'float'): Record<string, unknown> {
  return {
    object: 'list',
    data: res.embeddings.map((embedding, index) => ({ object: 'embedding', index, embedding: format === 'base64' ? toBase64(embedding) : embedding })),
    model,
    usage: { prompt_tokens: res.usage.prompt, total_tokens: res.usage.prompt },
  };
}

/** The delta of OpenAI's first chunk of an answer. */
const ROLE_DELTA = '{"role":"assistant","content":"","refusal":null}';
/** The same for an answer that opens with a refusal: OpenAI's, content null and the refusal begun. */
const REFUSAL_ROLE_DELTA = '{"role":"assistant","content":null,"refusal":""}';

/**
 * Writes canonical stream parts as OpenAI chat.completion.chunk JSON strings (without SSE framing).
 * With `include_usage`, every chunk carries `"usage":null` and the usage chunk (empty choices) is the
 * last, as OpenAI sends; without it no chunk has empty choices.
 */
export class ChunkEncoder {
  private sentRole = false;
  /** What served the stream, from its start part: every chunk names it. */
  private servedAs: ServedAs | undefined;
  /** Everything before `"choices"`, serialised at the first chunk: only the delta changes from chunk to chunk. */
  private prefix: string | undefined;
  /** What closes a chunk with choices: `"usage":null` when the client asked for usage. */
  private readonly suffix: string;
  /** A text chunk (after the first) around its JSON string: most chunks are one, two concatenations each. */
  private textHead = '';
  private readonly textTail: string;

  constructor(
    private readonly id: string,
    private readonly model: string,
    private readonly created: number,
    includeUsage = false,
  ) {
    this.suffix = includeUsage ? ',"usage":null}' : '}';
    this.textTail = `},"logprobs":null,"finish_reason":null}]${this.suffix}`;
  }

  private head(): string {
    if (this.prefix !== undefined) return this.prefix;
    const served = this.servedAs;
    const tier = served?.serviceTier === undefined ? 'null' : `"${served.serviceTier}"`;
    const fingerprint = served?.systemFingerprint === undefined ? 'null' : `"${served.systemFingerprint}"`;
    const prefix = `{"id":${JSON.stringify(this.id)},"object":"chat.completion.chunk","created":${this.created},"model":${JSON.stringify(this.model)},"service_tier":${tier},"system_fingerprint":${fingerprint},`;
    this.prefix = prefix;
    this.textHead = `${prefix}"choices":[{"index":0,"delta":{"content":`;
    return prefix;
  }

  /**
   * One chunk; the stream's first is OpenAI's role chunk (`{"role":"assistant","content":"","refusal":null}`,
   * or the refusal's own for a refusal) before it, as a second frame in the same string (the SSE writer
   * frames each string as `data: …\n\n`).
   */
  private chunk(delta: string, finish: FinishReason | null, extensions?: Record<string, unknown>, role = ROLE_DELTA): string {
    if (this.sentRole) return this.frame(delta, finish, extensions);
    this.sentRole = true;
    return `${this.frame(role, null)}\n\ndata: ${this.frame(delta, finish, extensions)}`;
  }

  private frame(delta: string, finish: FinishReason | null, extensions?: Record<string, unknown>): string {
    const choices = `${this.head()}"choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish === null ? 'null' : `"${finish}"`}}]`;
    return extensions ? `${choices},"switchyard_extensions":${JSON.stringify(extensions)}${this.suffix}` : choices + this.suffix;
  }

  /** The JSON for one part, or undefined for parts that have no OpenAI chunk. */
  encode(part: StreamPart): string | undefined {
    switch (part.type) {
      case 'text':
        return this.sentRole ? this.textHead + JSON.stringify(part.delta) + this.textTail : this.chunk(`{"content":${JSON.stringify(part.delta)}}`, null);
      case 'reasoning':
        // A signature has no Chat Completions field: a signature-only part has nothing to send.
        return part.delta === '' ? undefined : this.chunk(`{"reasoning_content":${JSON.stringify(part.delta)}}`, null);
      case 'tool-call': {
        const call: Record<string, unknown> = { index: part.index };
        if (part.id !== undefined) call.id = part.id;
        if (part.id !== undefined || part.name !== undefined) call.type = 'function';
        call.function = part.name === undefined ? { arguments: part.argumentsDelta } : { name: part.name, arguments: part.argumentsDelta };
        if (this.sentRole) return this.frame(JSON.stringify({ tool_calls: [call] }), null);
        // An answer that opens with a tool call says its role in the same chunk, with null content and
        // (after the call) a null refusal, as OpenAI does.
        this.sentRole = true;
        return this.frame(JSON.stringify({ role: 'assistant', content: null, tool_calls: [call], refusal: null }), null);
      }
      case 'refusal':
        // OpenAI streams the refusal's words as they come, after a role chunk that opens it empty.
        return part.delta === '' ? undefined : this.chunk(`{"refusal":${JSON.stringify(part.delta)}}`, null, undefined, REFUSAL_ROLE_DELTA);
      case 'finish':
        return this.finish(part.finishReason);
      case 'start':
        // Before any chunk: every chunk names what served the stream, as OpenAI's do.
        if (this.prefix === undefined) this.servedAs = part.servedAs;
        return undefined;
      default:
        // start, usage (see usage()), provider metadata (opt-in, see the stream encoder), and redacted
        // reasoning, which has no OpenAI representation.
        return undefined;
    }
  }

  /** The finish chunk (an empty delta), with provider-specific data for clients that opted in to stream extensions. */
  finish(reason: FinishReason, extensions?: Record<string, unknown>): string {
    return this.chunk('{}', reason, extensions);
  }

  /** The trailing usage chunk sent when the client asked for `stream_options.include_usage`. */
  usage(usage: Usage, extra?: Record<string, unknown>, extensions?: Record<string, unknown>): string {
    const ext = extensions ? `,"switchyard_extensions":${JSON.stringify(extensions)}` : '';
    return `${this.head()}"choices":[],"usage":${JSON.stringify(withExtra(encodeUsage(usage), extra))}${ext}}`;
  }
}
