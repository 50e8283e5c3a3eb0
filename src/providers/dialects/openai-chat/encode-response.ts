import type { ChatResponse, EmbeddingResponse, FinishReason, StreamPart, Usage } from '../../../core/types.js';
import { encodeUsage } from './usage.js';

/** Canonical response to the OpenAI chat.completion JSON a client receives. */
export function encodeChatResponse(res: ChatResponse, model: string, extra?: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: res.id,
    object: 'chat.completion',
    created: res.created,
    model,
    choices: [{ index: 0, message: res.message, logprobs: null, finish_reason: res.finishReason }],
    usage: extra ? { ...encodeUsage(res.usage), ...extra } : encodeUsage(res.usage),
  };
  if (res.extensions) body.switchyard_extensions = res.extensions;
  return body;
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

/** Writes canonical stream parts as OpenAI chat.completion.chunk JSON strings (without SSE framing). */
export class ChunkEncoder {
  private sentRole = false;

  constructor(
    private readonly id: string,
    private readonly model: string,
    private readonly created: number,
  ) {}

  private chunk(delta: Record<string, unknown>, finish: FinishReason | null): string {
    if (!this.sentRole) {
      this.sentRole = true;
      delta = { role: 'assistant', ...delta };
    }
    return JSON.stringify({
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
  }

  /** The JSON for one part, or undefined for parts that have no OpenAI chunk. */
  encode(part: StreamPart): string | undefined {
    switch (part.type) {
      case 'text':
        return this.chunk({ content: part.delta }, null);
      case 'tool-call': {
        const call: Record<string, unknown> = { index: part.index };
        if (part.id !== undefined) call.id = part.id;
        if (part.id !== undefined || part.name !== undefined) call.type = 'function';
        const fn: Record<string, string> = { arguments: part.argumentsDelta };
        if (part.name !== undefined) fn.name = part.name;
        call.function = fn;
        return this.chunk({ tool_calls: [call] }, null);
      }
      case 'finish':
        return this.chunk({}, part.finishReason);
      default:
        return undefined;
    }
  }

  /** The trailing usage chunk sent when the client asked for `stream_options.include_usage`. */
  usage(usage: Usage, extra?: Record<string, unknown>): string {
    return JSON.stringify({
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [],
      usage: extra ? { ...encodeUsage(usage), ...extra } : encodeUsage(usage),
    });
  }
}
