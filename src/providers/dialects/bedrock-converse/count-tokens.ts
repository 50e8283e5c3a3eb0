import type { ConverseRequestBody, CountTokensBody } from './wire.js';

/** Cross-region inference profile prefixes: `us.anthropic.claude-...` is `anthropic.claude-...` served from several regions. */
const PROFILE_PREFIX = /^(?:us|eu|apac|global|us-gov|jp|au|ca)\.(?=[a-z0-9-]+\.[a-z0-9])/;

/**
 * The model id CountTokens takes for a deployment's model: the foundation model behind a cross-region
 * inference profile id, or behind an ARN naming either (`…:foundation-model/anthropic.claude-…`,
 * `…:inference-profile/us.anthropic.claude-…`): the operation names foundation models, and the
 * tokenizer is the model's either way.
 */
export function countTokensModelId(modelId: string): string {
  const id = modelId.startsWith('arn:') ? modelId.slice(modelId.lastIndexOf('/') + 1) : modelId;
  return id.replace(PROFILE_PREFIX, '');
}

/**
 * The CountTokens body (`POST /model/{modelId}/count-tokens`) for a Converse body: the prompt's messages,
 * system blocks and tool configuration. Inference settings, output format and model fields (thinking,
 * top_k, passthrough) are no part of the prompt and are left out. It answers `{ inputTokens }`.
 */
export function encodeCountTokensRequest(body: ConverseRequestBody): CountTokensBody {
  const converse: CountTokensBody['input']['converse'] = { messages: body.messages };
  if (body.system !== undefined) converse.system = body.system;
  if (body.toolConfig !== undefined) converse.toolConfig = body.toolConfig;
  return { input: { converse } };
}
