import { CHAT_FIELD_NAMES } from '../../core/fields.js';

/** The top-level keys an OpenAI Chat Completions body from Switchyard may hold (mapped fields only). */
export const OPENAI_WIRE_KEYS: readonly string[] = CHAT_FIELD_NAMES;

/** The top-level keys of a Messages API body from Switchyard (`model` or, on Vertex, `anthropic_version`). */
export const MESSAGES_WIRE_KEYS = ['model', 'anthropic_version', 'max_tokens', 'messages', 'system', 'temperature', 'top_p', 'stop_sequences', 'tools', 'tool_choice', 'metadata', 'stream'];
