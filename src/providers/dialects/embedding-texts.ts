import { GatewayError } from '../../core/errors.js';
import type { EmbeddingRequest } from '../../core/types.js';

/**
 * The texts of an embeddings request, for an upstream that embeds text only (Bedrock Titan and Cohere,
 * Vertex :predict): their APIs have no field for token ids, and the ids are another tokenizer's, so
 * they cannot be turned back into text either. Token input is refused before anything is sent.
 */
export function embeddingTexts(request: EmbeddingRequest, upstream: string): string[] {
  if (request.tokens === undefined) return request.input;
  throw tokenInputRefused(upstream);
}

/**
 * Token-id input refused for an upstream that embeds text only, as a fallbackable, unsent
 * invalid_request: a group tries its next deployment (one that takes ids serves it); when none can,
 * the client gets a 400 saying why, without an upstream call or a charge.
 */
export function tokenInputRefused(upstream: string): GatewayError {
  return new GatewayError({
    kind: 'invalid_request',
    message: `${upstream} embeds text only; this request's 'input' is token ids. Send the text instead, or use a model whose deployment takes token ids (OpenAI, Azure OpenAI, vLLM).`,
    param: 'input',
    code: 'invalid_request',
    fallbackable: true,
    unsent: true,
  });
}

/**
 * Embeddings asked of a deployment that cannot embed (a chat model, an API without embeddings): a
 * fallbackable, unsent 400 like the router's capability refusal (`unsupported_capability`, naming
 * `model`), so a group tries its next deployment without an upstream call; when none serves, the
 * client reads why in the gateway's words. `why` says what the deployment is, never its model id.
 */
export function embeddingsUnsupported(request: EmbeddingRequest, why: string, provider: string): GatewayError {
  return new GatewayError({
    kind: 'invalid_request',
    message: `No deployment of '${request.model}' served these embeddings: the last one tried ${why}. Ask for an embedding model instead.`,
    param: 'model',
    code: 'unsupported_capability',
    provider,
    fallbackable: true,
    unsent: true,
  });
}
