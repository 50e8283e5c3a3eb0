/** The parts of the Anthropic Messages wire format this dialect writes. */
import type { JsonObject } from '../../../core/types.js';

export interface AnthropicCacheControl {
  type: 'ephemeral';
  ttl?: '5m' | '1h';
}

export interface AnthropicTextBlock {
  type: 'text';
  text: string;
  cache_control?: AnthropicCacheControl;
}

export type AnthropicImageMediaType = 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp';

export interface AnthropicImageBlock {
  type: 'image';
  source: { type: 'base64'; media_type: AnthropicImageMediaType; data: string } | { type: 'url'; url: string };
  cache_control?: AnthropicCacheControl;
}

/** A PDF (base64 or URL) or a plain-text document (its text, not base64). */
export interface AnthropicDocumentBlock {
  type: 'document';
  source: { type: 'base64'; media_type: 'application/pdf'; data: string } | { type: 'text'; media_type: 'text/plain'; data: string } | { type: 'url'; url: string };
  title?: string;
  cache_control?: AnthropicCacheControl;
}

export interface AnthropicThinkingBlock {
  type: 'thinking';
  thinking: string;
  signature: string;
}

export interface AnthropicRedactedThinkingBlock {
  type: 'redacted_thinking';
  data: string;
}

export interface AnthropicToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: Record<string, unknown>;
  cache_control?: AnthropicCacheControl;
}

export interface AnthropicToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content: string | Array<AnthropicTextBlock | AnthropicImageBlock>;
  is_error?: boolean;
}

export type AnthropicContentBlock =
  | AnthropicTextBlock
  | AnthropicImageBlock
  | AnthropicDocumentBlock
  | AnthropicThinkingBlock
  | AnthropicRedactedThinkingBlock
  | AnthropicToolUseBlock
  | AnthropicToolResultBlock;

export interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: AnthropicContentBlock[];
}

export interface AnthropicTool {
  name: string;
  description?: string;
  input_schema: Record<string, unknown>;
  cache_control?: AnthropicCacheControl;
  /** Structured tool use: Claude's calls match input_schema exactly. */
  strict?: boolean;
}

export type AnthropicToolChoice =
  | { type: 'auto'; disable_parallel_tool_use?: boolean }
  | { type: 'any'; disable_parallel_tool_use?: boolean }
  | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean }
  | { type: 'none' };

/** Thinking with a token budget, or adaptive (Claude 4.6 on; the only form from Opus 4.7 on). */
export type AnthropicThinkingConfig = { type: 'enabled'; budget_tokens: number } | { type: 'adaptive' };

/** A Messages API request body. `model` is absent for Vertex rawPredict and Bedrock InvokeModel. */
export interface MessagesRequestBody {
  model?: string;
  anthropic_version?: string;
  max_tokens: number;
  messages: AnthropicMessage[];
  system?: string | AnthropicTextBlock[];
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop_sequences?: string[];
  tools?: AnthropicTool[];
  tool_choice?: AnthropicToolChoice;
  thinking?: AnthropicThinkingConfig;
  /** Adaptive thinking's depth; structured outputs' JSON Schema. */
  output_config?: { effort?: 'low' | 'medium' | 'high' | 'xhigh' | 'max'; format?: { type: 'json_schema'; schema: JsonObject } };
  metadata?: { user_id: string };
  stream?: boolean;
  /** Automatic caching: the API puts this breakpoint on the last cacheable block itself. */
  cache_control?: AnthropicCacheControl;
}

/**
 * A count_tokens body (`/v1/messages/count_tokens`; Vertex's `count-tokens:rawPredict`, which also
 * takes `anthropic_version`). It answers `{ input_tokens }`.
 */
export interface MessagesCountTokensBody {
  model: string;
  anthropic_version?: string;
  messages: AnthropicMessage[];
  system?: string | AnthropicTextBlock[];
  tools?: AnthropicTool[];
  tool_choice?: AnthropicToolChoice;
  thinking?: AnthropicThinkingConfig;
  /** Structured outputs' JSON Schema, as the chat call sends it (`MessageCountTokensParams.output_config`). */
  output_config?: { format: { type: 'json_schema'; schema: JsonObject } };
}
