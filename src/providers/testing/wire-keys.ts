/**
 * The top-level keys an OpenAI Chat Completions body from Switchyard may hold, written out here rather
 * than taken from the dialect so the conformance check does not grade the dialect by its own list
 * (passthrough fields are checked apart).
 */
export const OPENAI_WIRE_KEYS: readonly string[] = [
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
  'presence_penalty',
  'frequency_penalty',
  'reasoning_effort',
  // vLLM's prefill switches, sent only to deployments that continue a final assistant message.
  'continue_final_message',
  'add_generation_prompt',
];

/** The top-level keys of a Messages API body from Switchyard (`model` or, on Vertex, `anthropic_version`). */
export const MESSAGES_WIRE_KEYS = ['model', 'anthropic_version', 'max_tokens', 'messages', 'system', 'temperature', 'top_p', 'top_k', 'stop_sequences', 'tools', 'tool_choice', 'metadata', 'stream', 'thinking', 'output_config', 'cache_control'];
