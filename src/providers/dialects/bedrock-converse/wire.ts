/**
 * The Bedrock Converse wire shapes this dialect reads and writes (a subset of the service model of
 * `@aws-sdk/client-bedrock-runtime`, as JSON on the wire: image bytes travel base64-encoded).
 */
import type { JsonObject } from '../../../core/types.js';

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';

export type ToolResultContent = { text: string } | { json: JsonObject };

export type ContentBlock =
  | { text: string }
  | { image: { format: ImageFormat; source: { bytes: string } } }
  | { toolUse: { toolUseId: string; name: string; input: JsonObject } }
  | { toolResult: { toolUseId: string; content: ToolResultContent[]; status?: 'success' | 'error' } }
  | { cachePoint: { type: 'default' } };

export type SystemBlock = { text: string } | { cachePoint: { type: 'default' } };

export interface ConverseMessage {
  role: 'user' | 'assistant';
  content: ContentBlock[];
}

export interface ToolSpec {
  toolSpec: { name: string; description?: string; inputSchema: { json: JsonObject } };
}

export type ToolChoiceWire = { auto: JsonObject } | { any: JsonObject } | { tool: { name: string } };

export interface ConverseRequestBody {
  messages: ConverseMessage[];
  system?: SystemBlock[];
  inferenceConfig?: { maxTokens?: number; temperature?: number; topP?: number; stopSequences?: string[] };
  toolConfig?: { tools: ToolSpec[]; toolChoice?: ToolChoiceWire };
  outputConfig?: { textFormat: { type: 'json_schema'; structure: { jsonSchema: { schema: string; name?: string; description?: string } } } };
  /** Model-native request fields Converse forwards as they are (e.g. Claude's `top_k`). */
  additionalModelRequestFields?: Record<string, unknown>;
}

/** Token usage as Converse reports it: `inputTokens` excludes the cache read and write tokens. */
export interface BedrockUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}
