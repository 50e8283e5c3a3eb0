/** Claude models on Bedrock: base ids (`anthropic.claude-...`), inference profiles (`us.anthropic.`...) and ARNs naming them. */
export function isClaudeModel(modelId: string): boolean {
  return modelId.includes('anthropic.');
}

/**
 * Whether Converse takes a conversation that opens with an assistant message for a model: Claude and Qwen
 * do; Nova, Llama, Mistral, Cohere, AI21 and Writer refuse it ("A conversation must start with a user
 * message", live-checked in us-east-1: pydantic-ai#6255, 2026-07). An ARN that does not name its model
 * counts as refusing: the user turn put first is harmless where it was not needed.
 */
export function takesAssistantFirst(modelId: string): boolean {
  return isClaudeModel(modelId) || modelId.includes('qwen.');
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
 * client's hints, one-hour ones too: the operator chose the model.
 */
export function cachePointsFor(modelId: string): CachePoints {
  if (isClaudeModel(modelId)) return ONE_HOUR_CLAUDE.test(modelId) ? ALL_CACHE_POINTS_1H : ALL_CACHE_POINTS;
  if (modelId.includes('amazon.nova-')) return MESSAGE_CACHE_POINTS;
  return hidesModel(modelId) ? ALL_CACHE_POINTS_1H : NO_CACHE_POINTS;
}

/**
 * Whether a model id does not name the model it serves: an ARN other than a foundation model's or a
 * cross-region inference profile's (an application inference profile, a provisioned, custom or
 * imported model). The rules above can only guess for one; a deployment's `base_model` names the model.
 */
export function hidesModel(modelId: string): boolean {
  return modelId.startsWith('arn:') && !modelId.includes(':foundation-model/') && !modelId.includes(':inference-profile/');
}

/** Where a model takes cache points, and whether they may live an hour (`cachePoint.ttl: "1h"`). */
export interface CachePoints {
  readonly messages: boolean;
  readonly tools: boolean;
  readonly oneHour: boolean;
}

/**
 * Claude models Bedrock keeps a cache point for an hour: Claude Opus, Sonnet and Haiku 4.5 ("Claude
 * Opus 4.5, Claude Haiku 4.5 and Claude Sonnet 4.5 support an extended 1-hour TTL", Bedrock's prompt
 * caching guide) and the Claude models since; earlier ones refuse the ttl and get five minutes.
 */
const ONE_HOUR_CLAUDE = /anthropic\.claude-(?:opus|sonnet|haiku)-(?:4-[5-9]|[5-9])(?:[-:]|$)/;

const ALL_CACHE_POINTS = Object.freeze({ messages: true, tools: true, oneHour: false });
const ALL_CACHE_POINTS_1H = Object.freeze({ messages: true, tools: true, oneHour: true });
const MESSAGE_CACHE_POINTS = Object.freeze({ messages: true, tools: false, oneHour: false });
const NO_CACHE_POINTS = Object.freeze({ messages: false, tools: false, oneHour: false });
