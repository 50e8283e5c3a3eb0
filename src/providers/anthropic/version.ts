/**
 * API version rules. Versions are ISO dates, so they compare as strings. From 2026-10-21 on the API
 * rejects temperature/top_p/top_k with a 400 and takes the key as `Authorization: Bearer` (what
 * @anthropic-ai/sdk 1.x sends); earlier versions use `x-api-key`.
 */
export const SAMPLING_REJECTED_FROM = '2026-10-21';

export interface VersionRules {
  omitSamplingParams: boolean;
  authHeader: 'x-api-key' | 'bearer';
}

export function versionRules(version: string): VersionRules {
  // Only date versions compare meaningfully ('vertex-2023-10-16' sorts above any date as a string).
  const modern = /^\d{4}-\d{2}-\d{2}$/.test(version) && version >= SAMPLING_REJECTED_FROM;
  return { omitSamplingParams: modern, authHeader: modern ? 'bearer' : 'x-api-key' };
}
