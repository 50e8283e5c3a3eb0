import { GatewayError } from '../../../core/errors.js';
import { makeUsage, tokenCount, type EmbeddingResponse } from '../../../core/types.js';
import { nameOf, providerOf, type UpstreamRef } from '../../upstream.js';

export interface PredictEmbeddingRequest {
  instances: Array<{ content: string; task_type?: string }>;
  parameters?: { outputDimensionality?: number };
}

/** Texts for a Vertex text-embedding `:predict` call. */
export function encodePredictEmbeddingRequest(texts: string[], options: { dimensions?: number; taskType?: string }): PredictEmbeddingRequest {
  const body: PredictEmbeddingRequest = {
    instances: texts.map((content) => (options.taskType ? { content, task_type: options.taskType } : { content })),
  };
  if (options.dimensions !== undefined) body.parameters = { outputDimensionality: options.dimensions };
  return body;
}

/** `predictions[].embeddings.values` with `statistics.token_count` into the canonical response. */
export function decodePredictEmbeddingResponse(raw: unknown, model: string, upstream: UpstreamRef): EmbeddingResponse {
  const predictions = (raw as { predictions?: unknown } | null)?.predictions;
  if (!Array.isArray(predictions)) {
    throw new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${nameOf(upstream)} returned no predictions.`, provider: providerOf(upstream) });
  }
  let tokens = 0;
  let counted = true;
  const embeddings = predictions.map((p: unknown) => {
    const e = (p as { embeddings?: { values?: unknown; statistics?: { token_count?: unknown } } } | null)?.embeddings;
    if (!e || !Array.isArray(e.values)) {
      throw new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${nameOf(upstream)} returned an embedding without values.`, provider: providerOf(upstream) });
    }
    const count = tokenCount(e.statistics?.token_count);
    if (count === undefined) counted = false;
    else tokens += count;
    return e.values as number[];
  });
  // A missing count is estimated by the gateway, never billed as nothing.
  if (!counted) return { model, embeddings, usage: makeUsage({}), usageEstimated: true };
  return { model, embeddings, usage: makeUsage({ prompt: tokens, total: tokens }) };
}
