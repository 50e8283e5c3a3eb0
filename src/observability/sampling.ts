/** The random bits a trace id's ratio decision reads: W3C Trace Context level 2's rightmost 7 bytes. */
const RANDOM_RANGE = 2 ** 56;

/**
 * Ratio sampling by trace id, so every replica decides alike: kept when the id's rightmost 56 bits reach
 * the threshold (1 - ratio) × 2^56, as OpenTelemetry's consistent probability sampling decides. Those
 * bits are random in ours (`ids.ts`) and in a UUID v4 request id's (its last group and the two hex digits
 * before it); its version and variant digits sit further left, where they would skew the share.
 */
export function sampledByRatio(traceId: string, ratio: number): boolean {
  if (ratio >= 1) return true;
  // 14 hex digits are past a double's exact range: the highest rounds to 2^56 itself.
  if (ratio <= 0) return false;
  return parseInt(traceId.slice(18, 32), 16) >= (1 - ratio) * RANDOM_RANGE;
}
