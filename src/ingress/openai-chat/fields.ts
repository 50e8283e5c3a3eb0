/*
 * The body fields this front door maps into the canonical request. Anything else a client sends goes
 * into `passthrough` under its own name, and the gateway refuses it unless every deployment the request
 * may go to lets it through: otherwise it could switch on upstream features the operator never granted
 * (Azure `data_sources`, `service_tier`, `store`, vLLM's `chat_template`). Switchyard's own body hint
 * `switchyard` is taken off before decoding.
 */

/** Every field of an OpenAI chat request that Switchyard maps (the wire-key tests derive from it). */
export const CHAT_FIELD_NAMES = [
  'model',
  'messages',
  'temperature',
  'top_p',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'response_format',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'stream',
  'stream_options',
  'user',
  'seed',
  'n',
  'presence_penalty',
  'frequency_penalty',
  'reasoning_effort',
] as const;

export const CHAT_FIELDS: ReadonlySet<string> = new Set(CHAT_FIELD_NAMES);

/**
 * The Chat Completions API's own fields that Switchyard does not map (the official SDK's
 * `ChatCompletionCreateParams`): sent without a deployment's `passthrough` grant, one is refused as a
 * parameter the gateway does not support (`unsupported_parameter`), not as an unknown one, so a
 * client is not told that OpenAI has no such thing.
 */
export const CHAT_API_UNMAPPED_FIELDS: ReadonlySet<string> = new Set([
  'audio',
  'function_call',
  'functions',
  'logit_bias',
  'logprobs',
  'metadata',
  'modalities',
  'moderation',
  'prediction',
  'prompt_cache_key',
  'prompt_cache_options',
  'prompt_cache_retention',
  'safety_identifier',
  'service_tier',
  'store',
  'top_logprobs',
  'verbosity',
  'web_search_options',
]);

/** Every field of an OpenAI embeddings request that Switchyard maps. */
export const EMBEDDING_FIELDS: ReadonlySet<string> = new Set(['model', 'input', 'dimensions', 'encoding_format', 'user']);
