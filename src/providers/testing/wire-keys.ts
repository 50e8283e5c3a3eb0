/** The top-level keys an OpenAI Chat Completions body from Switchyard may hold (mapped fields only). */
export const OPENAI_WIRE_KEYS = [
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
  'user',
  'seed',
  'n',
  'presence_penalty',
  'frequency_penalty',
  'stream',
  'stream_options',
];

/** The top-level keys of a Messages API body from Switchyard (`model` or, on Vertex, `anthropic_version`). */
export const MESSAGES_WIRE_KEYS = ['model', 'anthropic_version', 'max_tokens', 'messages', 'system', 'temperature', 'top_p', 'stop_sequences', 'tools', 'tool_choice', 'metadata', 'stream'];
