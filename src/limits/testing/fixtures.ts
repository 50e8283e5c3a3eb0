import type { GatewayError } from '../../core/errors.js';
import type { AdmissionRequest, AdmissionTicket } from '../../core/events.js';
import { rateLimitSchema, type RateLimitRule } from '../config.js';

/** A rule as the config schema would produce it. */
export const rule = (r: Partial<RateLimitRule> & { name: string }): RateLimitRule => rateLimitSchema.parse(r);

/** An admission request of 100 prompt and 100 completion tokens from key k1 of team research. */
export const request = (id: string, tags: Record<string, string> = { key: 'k1', team: 'research' }, over: Partial<AdmissionRequest> = {}): AdmissionRequest => ({
  requestId: id,
  operation: 'chat',
  group: 'chat',
  candidates: ['oai'],
  tags,
  estimatedPromptTokens: 100,
  maxCompletionTokens: 100,
  ...over,
});

/** The error an admission was refused with; fails when it was admitted. */
export async function refusal(p: Promise<AdmissionTicket>): Promise<GatewayError> {
  return p.then(
    () => Promise.reject(new Error('expected a refusal')),
    (e: unknown) => e as GatewayError,
  );
}
