import type { GeminiCountTokensRequest, GeminiRequest } from './wire.js';

/**
 * The countTokens body for a generateContent body: what Vertex's CountTokensRequest takes (contents,
 * system instruction, tools, generation config, as @google/genai sends them). It has no `toolConfig`.
 */
export function encodeCountTokensRequest(body: GeminiRequest): GeminiCountTokensRequest {
  const out: GeminiCountTokensRequest = { contents: body.contents };
  if (body.systemInstruction !== undefined) out.systemInstruction = body.systemInstruction;
  if (body.tools !== undefined) out.tools = body.tools;
  if (body.generationConfig !== undefined) out.generationConfig = body.generationConfig;
  return out;
}
