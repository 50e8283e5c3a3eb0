export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
  /** The longest retry-after we will honour by waiting; longer ones make us fall back instead. */
  maxRetryAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 100, capMs: 2_000, maxRetryAfterMs: 5_000 };

/**
 * Delay before retry number `retry` (1-based): full-jitter exponential backoff, or the upstream's
 * retry-after when it gave one. Returns undefined when the retry-after is too long to wait for.
 */
export function retryDelay(retry: number, retryAfterMs: number | undefined, policy: BackoffPolicy, random: () => number): number | undefined {
  if (retryAfterMs !== undefined) return retryAfterMs <= policy.maxRetryAfterMs ? retryAfterMs : undefined;
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}
