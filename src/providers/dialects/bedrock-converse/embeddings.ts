import { GatewayError } from '../../../core/errors.js';
import { tokenCount } from '../../../core/types.js';
import { nameOf, providerOf, type UpstreamRef } from '../../upstream.js';

/** Which InvokeModel body an embedding model takes. */
export type EmbeddingFamily = 'titan' | 'cohere';

/** Guesses the family from the model id (inference-profile prefixes included); undefined if neither. */
export function embeddingFamily(modelId: string): EmbeddingFamily | undefined {
  if (/amazon\.titan-embed/.test(modelId)) return 'titan';
  if (/cohere\.embed/.test(modelId)) return 'cohere';
  return undefined;
}

/** Cohere embed on Bedrock takes at most 96 texts a call. */
export const COHERE_BATCH = 96;

function malformed(upstream: UpstreamRef, what: string): GatewayError {
  return new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${nameOf(upstream)} returned a malformed embedding: ${what}.`, provider: providerOf(upstream) });
}

function isVector(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'number');
}

/** Titan Text Embeddings v2: one text per call. */
export function encodeTitanRequest(text: string, dimensions: number | undefined): Record<string, unknown> {
  const body: Record<string, unknown> = { inputText: text, normalize: true };
  if (dimensions !== undefined) body.dimensions = dimensions;
  return body;
}

export function decodeTitanResponse(raw: unknown, upstream: UpstreamRef): { embedding: number[]; tokens: number | undefined } {
  const body = (raw ?? {}) as Record<string, unknown>;
  if (!isVector(body.embedding)) throw malformed(upstream, 'no embedding');
  return { embedding: body.embedding, tokens: tokenCount(body.inputTextTokenCount) };
}

/** Cohere embed: a batch of texts; `output_dimension` only exists from embed v4 on. */
export function encodeCohereRequest(texts: string[], inputType: string, dimensions: number | undefined): Record<string, unknown> {
  const body: Record<string, unknown> = { texts, input_type: inputType, truncate: 'NONE' };
  if (dimensions !== undefined) body.output_dimension = dimensions;
  return body;
}

/** Reads both Cohere shapes: `embeddings` as a list (floats) or keyed by type (`{float: [...]}`). */
export function decodeCohereResponse(raw: unknown, expected: number, upstream: UpstreamRef): number[][] {
  const body = (raw ?? {}) as Record<string, unknown>;
  const list = Array.isArray(body.embeddings) ? body.embeddings : (body.embeddings as { float?: unknown } | undefined)?.float;
  if (!Array.isArray(list) || list.length !== expected || !list.every(isVector)) throw malformed(upstream, 'embeddings missing or of the wrong count');
  return list;
}
