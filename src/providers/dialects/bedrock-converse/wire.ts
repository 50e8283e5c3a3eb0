/**
 * The Bedrock Converse wire shapes this dialect reads and writes (a subset of the service model of
 * `@aws-sdk/client-bedrock-runtime`, as JSON on the wire: bytes travel base64-encoded).
 */
import type { JsonObject } from '../../../core/types.js';

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';
export type DocumentFormat = 'pdf' | 'csv' | 'doc' | 'docx' | 'xls' | 'xlsx' | 'html' | 'txt' | 'md';

/** Marks the end of a prompt prefix Bedrock may cache, for five minutes unless `ttl` says an hour. */
export type CachePointBlock = { cachePoint: { type: 'default'; ttl?: '5m' | '1h' } };
export type ImageBlock = { image: { format: ImageFormat; source: { bytes: string } } };
export type DocumentBlock = { document: { format: DocumentFormat; name: string; source: { bytes: string } } };

export type ToolResultContent = { text: string } | { json: JsonObject } | ImageBlock;

/** Signed reasoning text, or reasoning the model returned encrypted. */
export type ReasoningBlock = { reasoningContent: { reasoningText: { text: string; signature?: string } } | { redactedContent: string } };

export type ContentBlock =
  | { text: string }
  | ImageBlock
  | DocumentBlock
  | ReasoningBlock
  | { toolUse: { toolUseId: string; name: string; input: JsonObject } }
  | { toolResult: { toolUseId: string; content: ToolResultContent[]; status?: 'success' | 'error' } }
  | CachePointBlock;

export type SystemBlock = { text: string } | CachePointBlock;

export interface ConverseMessage {
  role: 'user' | 'assistant';
  content: ContentBlock[];
}

export interface ToolSpec {
  toolSpec: { name: string; description?: string; inputSchema: { json: JsonObject }; strict?: boolean };
}

export type ToolChoiceWire = { auto: JsonObject } | { any: JsonObject } | { tool: { name: string } };

export interface ConverseRequestBody {
  messages: ConverseMessage[];
  system?: SystemBlock[];
  inferenceConfig?: { maxTokens?: number; temperature?: number; topP?: number; stopSequences?: string[] };
  toolConfig?: { tools: Array<ToolSpec | CachePointBlock>; toolChoice?: ToolChoiceWire };
  outputConfig?: { textFormat: { type: 'json_schema'; structure: { jsonSchema: { schema: string; name?: string; description?: string } } } };
  /** Model-native request fields Converse forwards as they are (e.g. Claude's `top_k`, `thinking`). */
  additionalModelRequestFields?: Record<string, unknown>;
  /** JSON Pointers into the model's native answer, returned in `additionalModelResponseFields` (Claude's `/stop_sequence`). */
  additionalModelResponseFieldPaths?: string[];
}

/** A CountTokens body counting a Converse request (the SDK's CountTokensInput `converse` member). */
export interface CountTokensBody {
  input: { converse: Pick<ConverseRequestBody, 'messages' | 'system' | 'toolConfig'> };
}

/** Token usage as Converse reports it: `inputTokens` excludes the cache read and write tokens. */
export interface BedrockUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}
