import type { JsonObject } from '../../../core/types.js';

/** Provider-metadata namespace of Azure's content-filter annotations. */
export const AZURE_NAMESPACE = 'azure';

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The content-filter annotations Azure OpenAI adds to a completion, prompt and output side, or
 * undefined when there are none (every other OpenAI-compatible server).
 */
export function azureFilterResults(body: Record<string, unknown>): JsonObject | undefined {
  const choice = Array.isArray(body.choices) ? (body.choices[0] as unknown) : undefined;
  const output = isObject(choice) && isObject(choice.content_filter_results) ? choice.content_filter_results : undefined;
  const prompt = Array.isArray(body.prompt_filter_results) ? (body.prompt_filter_results as JsonObject[]) : undefined;
  if (!output && !prompt) return undefined;
  const out: JsonObject = {};
  if (prompt) out.prompt_filter_results = prompt;
  if (output) out.content_filter_results = output;
  return out;
}
