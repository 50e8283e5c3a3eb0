/** Claude models on Bedrock: base ids (`anthropic.claude-...`), inference profiles (`us.anthropic.`...) and ARNs naming them. */
export function isClaudeModel(modelId: string): boolean {
  return modelId.includes('anthropic.');
}

/** Whose signature a Converse reasoning block carries: Claude's own (valid on every Claude host), or Bedrock's. */
export function reasoningProviderFor(modelId: string): string {
  return isClaudeModel(modelId) ? 'anthropic' : 'bedrock';
}
