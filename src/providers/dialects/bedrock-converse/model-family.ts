/** Claude models on Bedrock: base ids (`anthropic.claude-...`), inference profiles (`us.anthropic.`...) and ARNs naming them. */
export function isClaudeModel(modelId: string): boolean {
  return modelId.includes('anthropic.');
}

/** Whose signature a Converse reasoning block carries: Claude's own (valid on every Claude host), or Bedrock's. */
export function reasoningProviderFor(modelId: string): string {
  return isClaudeModel(modelId) ? 'anthropic' : 'bedrock';
}

/**
 * Where a cache point may go for a model: Bedrock refuses one ("You invoked an unsupported model or your
 * request did not allow prompt caching") on models without prompt caching. Claude takes them in the
 * system prompt, messages and tools; Amazon Nova in the system prompt and messages only. An ARN that
 * does not name its model (an application inference profile, a provisioned or custom model) keeps the
 * client's hints: the operator chose the model.
 */
export function cachePointsFor(modelId: string): { messages: boolean; tools: boolean } {
  if (isClaudeModel(modelId)) return ALL_CACHE_POINTS;
  if (modelId.includes('amazon.nova-')) return MESSAGE_CACHE_POINTS;
  const unnamed = modelId.startsWith('arn:') && !modelId.includes(':foundation-model/') && !modelId.includes(':inference-profile/');
  return unnamed ? ALL_CACHE_POINTS : NO_CACHE_POINTS;
}

const ALL_CACHE_POINTS = Object.freeze({ messages: true, tools: true });
const MESSAGE_CACHE_POINTS = Object.freeze({ messages: true, tools: false });
const NO_CACHE_POINTS = Object.freeze({ messages: false, tools: false });
