/** The Gemini (Vertex AI v1) wire shapes this dialect reads and writes; the simulator shares them. */
import type { JsonObject } from '../../../core/types.js';

export interface GeminiFunctionCall {
  name: string;
  args?: JsonObject;
  /** Newer API versions may send an id; v1 usually does not. */
  id?: string;
}

export interface GeminiFunctionResponse {
  name: string;
  response: JsonObject;
}

/**
 * `thoughtSignature` is Gemini's token for the reasoning behind the part it sits on (a thought, the
 * answer's last text, the first function call of a step); it must go back on that same part.
 */
export type GeminiPart =
  | { text: string; thought?: boolean; thoughtSignature?: string }
  | { inlineData: { mimeType: string; data: string } }
  | { fileData: { mimeType: string; fileUri: string } }
  | { functionCall: GeminiFunctionCall; thoughtSignature?: string }
  | { functionResponse: GeminiFunctionResponse };

export interface GeminiContent {
  role: 'user' | 'model';
  parts: GeminiPart[];
}

export interface GeminiFunctionDeclaration {
  name: string;
  description?: string;
  /** The parameters in Gemini's OpenAPI subset, or (`parametersJsonSchema`, never both) in JSON Schema. */
  parameters?: JsonObject;
  parametersJsonSchema?: JsonObject;
}

export interface GeminiThinkingConfig {
  /** Tokens the model may think for; 0 turns thinking off (on models that allow it). */
  thinkingBudget?: number;
  /** Gemini 3's setting instead of a budget (never both: that is a 400); `low` is the least every Gemini 3 model takes. */
  thinkingLevel?: 'low' | 'high';
  /** Return thought summaries as parts marked `thought: true`. */
  includeThoughts?: boolean;
}

export interface GeminiGenerationConfig {
  temperature?: number;
  topP?: number;
  topK?: number;
  maxOutputTokens?: number;
  stopSequences?: string[];
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  responseMimeType?: string;
  /** The answer's schema in Gemini's OpenAPI subset, or (`responseJsonSchema`, never both) in JSON Schema. */
  responseSchema?: JsonObject;
  responseJsonSchema?: JsonObject;
  thinkingConfig?: GeminiThinkingConfig;
}

export type GeminiFunctionCallingMode = 'AUTO' | 'ANY' | 'NONE';

export interface GeminiRequest {
  contents: GeminiContent[];
  systemInstruction?: { parts: Array<{ text: string }> };
  tools?: Array<{ functionDeclarations: GeminiFunctionDeclaration[] }>;
  toolConfig?: { functionCallingConfig: { mode: GeminiFunctionCallingMode; allowedFunctionNames?: string[] } };
  generationConfig?: GeminiGenerationConfig;
}

/** A `:countTokens` body; it answers `{ totalTokens, totalBillableCharacters? }`. */
export type GeminiCountTokensRequest = Omit<GeminiRequest, 'toolConfig'>;

export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  totalTokenCount?: number;
  cachedContentTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
}

export interface GeminiCandidate {
  content?: { role?: string; parts?: GeminiPart[] };
  finishReason?: string;
  finishMessage?: string;
  safetyRatings?: JsonObject[];
  citationMetadata?: JsonObject;
  index?: number;
}

export interface GeminiResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: { blockReason?: string; blockReasonMessage?: string; safetyRatings?: JsonObject[] };
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
  createTime?: string;
}

/** Google's error envelope (google.rpc.Status as JSON). */
export interface GoogleErrorBody {
  error: { code: number; message: string; status: string; details?: JsonObject[] };
}
