import type { ChatResponse, EmbeddingResponse, FinishReason, StreamPart, Usage } from '../../core/types.js';
import { encodeUsage } from '../../providers/dialects/openai-chat/usage.js';

/** Canonical response to the OpenAI chat.completion JSON a client receives. */
export function encodeChatResponse(res: ChatResponse, model: string, extra?: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: res.id,
    object: 'chat.completion',
    created: res.created,
    model,
    choices: [{ index: 0, message: res.message, logprobs: null, finish_reason: res.finishReason }],
    usage: withExtra(encodeUsage(res.usage), extra),
  };
  if (res.extensions) body.switchyard_extensions = res.extensions;
  return body;
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

/**
 * Writes canonical stream parts as OpenAI chat.completion.chunk JSON strings (without SSE framing).
 * With `include_usage`, every chunk carries `"usage":null` and the usage chunk (empty choices) is the
 * last, as OpenAI sends; without it no chunk has empty choices.
 */
export class ChunkEncoder {
  private sentRole = false;
  /** Everything before `"choices"`, serialised once: only the delta changes from chunk to chunk. */
  private readonly prefix: string;
  /** What closes a chunk with choices: `"usage":null` when the client asked for usage. */
  private readonly suffix: string;

  constructor(id: string, model: string, created: number, includeUsage = false) {
    this.prefix = `{"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},`;
    this.suffix = includeUsage ? ',"usage":null}' : '}';
  }

  private chunk(delta: string, finish: FinishReason | null, extensions?: Record<string, unknown>): string {
    if (!this.sentRole) {
      this.sentRole = true;
      delta = delta === '{}' ? '{"role":"assistant"}' : `{"role":"assistant",${delta.slice(1)}`;
    }
    const choices = `${this.prefix}"choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish === null ? 'null' : `"${finish}"`}}]`;
    return extensions ? `${choices},"switchyard_extensions":${JSON.stringify(extensions)}${this.suffix}` : choices + this.suffix;
  }

  /** The JSON for one part, or undefined for parts that have no OpenAI chunk. */
  encode(part: StreamPart): string | undefined {
    switch (part.type) {
      case 'text':
        return this.chunk(`{"content":${JSON.stringify(part.delta)}}`, null);
      case 'reasoning':
        // A signature alone has no OpenAI field: it stays with the provider's extensions.
        return part.delta === '' ? undefined : this.chunk(`{"reasoning_content":${JSON.stringify(part.delta)}}`, null);
      case 'tool-call': {
        const call: Record<string, unknown> = { index: part.index };
        if (part.id !== undefined) call.id = part.id;
        if (part.id !== undefined || part.name !== undefined) call.type = 'function';
        const fn: Record<string, string> = { arguments: part.argumentsDelta };
        if (part.name !== undefined) fn.name = part.name;
        call.function = fn;
        return this.chunk(JSON.stringify({ tool_calls: [call] }), null);
      }
      case 'finish':
        return this.chunk('{}', part.finishReason);
      default:
        return undefined;
    }
  }

  /** The finish chunk carrying provider-specific data, for clients that opted in to stream extensions. */
  finish(reason: FinishReason, extensions: Record<string, unknown> | undefined): string {
    return this.chunk('{}', reason, extensions);
  }

  /** The trailing usage chunk sent when the client asked for `stream_options.include_usage`. */
  usage(usage: Usage, extra?: Record<string, unknown>, extensions?: Record<string, unknown>): string {
    const ext = extensions ? `,"switchyard_extensions":${JSON.stringify(extensions)}` : '';
    return `${this.prefix}"choices":[],"usage":${JSON.stringify(withExtra(encodeUsage(usage), extra))}${ext}}`;
  }
}
