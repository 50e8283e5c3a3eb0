import type { ChatRequest, Warning } from '../../core/types.js';
import {
  decodeMessagesResponse,
  decodeMessagesStream,
  encodeCountTokensRequest,
  encodeMessagesRequest,
  mapAnthropicError,
  type MessagesRequestBody,
} from '../dialects/anthropic-messages/index.js';
import { mapGoogleError } from '../dialects/gemini/index.js';
import type { Upstream } from '../upstream.js';
import type { PublisherWire } from './publisher.js';

export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';

/**
 * An error body from rawPredict is Google's (`{error: {code, status}}`: auth, quota, routing) when
 * Vertex itself refused, or Anthropic's (`{type: 'error', error: {type}}`) when the model did.
 */
function isGoogleError(body: unknown): boolean {
  const err = (body as { error?: { status?: unknown } } | null | undefined)?.error;
  return typeof err?.status === 'string';
}

/** Claude on Vertex (publisher `anthropic`): the Messages API body without `model`, via rawPredict. */
export function claudeWire(upstream: Upstream, model: string, defaultMaxTokens: number, passthrough: readonly string[], structuredOutputs: boolean): PublisherWire {
  const encode = (request: ChatRequest, stream: boolean, warnings: Warning[]): MessagesRequestBody =>
    encodeMessagesRequest(request, { forModel: model, anthropicVersion: VERTEX_ANTHROPIC_VERSION, structuredOutputs, stream, defaultMaxTokens, passthrough, warnings });
  const { provider } = upstream;
  return {
    chatMethod: (stream) => (stream ? 'streamRawPredict' : 'rawPredict'),
    encodeChat: (request, stream) => {
      const warnings: Warning[] = [];
      return { body: encode(request, stream, warnings), warnings };
    },
    decodeChat: (json, warnings) => decodeMessagesResponse(json, upstream, warnings),
    decodeStream: (events, warnings) => decodeMessagesStream(events, upstream, warnings),
    mapError: (status, headers, body) => (isGoogleError(body) ? mapGoogleError(status, headers, body, provider) : mapAnthropicError(status, headers, body, provider)),
    // Vertex's Claude token counter is a pseudo-model `count-tokens`; counting is free.
    probe: () => ({
      method: 'rawPredict',
      publisherModel: 'count-tokens',
      body: { anthropic_version: VERTEX_ANTHROPIC_VERSION, model, messages: [{ role: 'user', content: 'ping' }] },
    }),
    countTokens: (request) => ({ method: 'rawPredict', publisherModel: 'count-tokens', body: encodeCountTokensRequest(encode(request, false, []), model), countField: 'input_tokens' }),
  };
}
