import { GatewayError } from '../../../core/errors.js';
import type { ChatResponse, JsonObject, Warning } from '../../../core/types.js';
import { ZERO_USAGE } from '../../../core/types.js';
import type { GeminiResponse } from './wire.js';
import { NAMESPACE, contentOf, firstCandidate, malformedCall, vertexMetadata } from './candidate.js';
import { mapFinishReason } from './finish-reason.js';
import { decodeUsageMetadata } from './usage.js';
import { nameOf, providerOf, type UpstreamRef } from '../../upstream.js';

export interface DecodeResponseOptions {
  /** Settings the encoder could not carry, reported with the answer. */
  warnings?: Warning[];
  now?: () => number;
}

/** A generateContent answer into the canonical response. */
export function decodeGenerateContentResponse(raw: unknown, upstream: UpstreamRef, options: DecodeResponseOptions = {}): ChatResponse {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new GatewayError({ kind: 'bad_upstream_response', message: `Upstream ${nameOf(upstream)} returned a malformed response.`, provider: providerOf(upstream) });
  }
  const body = raw as GeminiResponse;
  const candidate = firstCandidate(body, upstream);
  const malformed = malformedCall(candidate, upstream);
  if (malformed) throw malformed;
  const { content, calls } = contentOf(candidate, body.responseId, upstream);
  const created = body.createTime ? Math.floor(Date.parse(body.createTime) / 1000) : NaN;
  const usage = decodeUsageMetadata(body.usageMetadata);
  const response: ChatResponse = {
    id: body.responseId ?? '',
    model: body.modelVersion ?? '',
    created: Number.isFinite(created) ? created : Math.floor((options.now ?? Date.now)() / 1000),
    content,
    finishReason: mapFinishReason(candidate.finishReason, calls > 0),
    usage: usage ?? ZERO_USAGE,
    providerMetadata: { [NAMESPACE]: vertexMetadata(body, candidate) },
  };
  // No usageMetadata: served, with the usage the gateway estimates.
  if (usage) response.rawUsage = body.usageMetadata as JsonObject;
  else response.usageEstimated = true;
  if (options.warnings !== undefined && options.warnings.length > 0) response.warnings = options.warnings;
  return response;
}
