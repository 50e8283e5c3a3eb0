import type { ChatRequest, EmbeddingRequest } from '../../../core/types.js';

/** The wire body for an OpenAI-compatible chat call: the client's request with the deployment's model. */
export function encodeChatRequest(request: ChatRequest, model: string, stream: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { ...request, model, stream };
  if (stream) body.stream_options = { include_usage: true };
  else delete body.stream_options;
  return body;
}

export function encodeEmbeddingRequest(request: EmbeddingRequest, model: string): Record<string, unknown> {
  const body: Record<string, unknown> = { input: request.input, model, encoding_format: 'float' };
  if (request.dimensions !== undefined) body.dimensions = request.dimensions;
  if (request.user !== undefined) body.user = request.user;
  return body;
}
