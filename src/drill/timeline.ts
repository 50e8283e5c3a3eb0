import type { BreakerSample, RequestSample } from './measure.js';
import { percentiles } from './measure.js';

/** One second of the run, as the HTML time line draws it. */
export interface TimelineBucket {
  second: number;
  /** Requests answered, by serving deployment. */
  served: Record<string, number>;
  errors: number;
  p95Ms: number | undefined;
  /** Routing state of each target (breaker state, or cooling after a 429) at the end of the second. */
  breakers: Record<string, string>;
}

/** Buckets requests by the second they started in. */
export function timeline(requests: readonly RequestSample[], breakers: readonly BreakerSample[], targets: readonly string[], durationMs: number): TimelineBucket[] {
  const seconds = Math.ceil(durationMs / 1000);
  const buckets: TimelineBucket[] = [];
  for (let s = 0; s < seconds; s++) {
    const inSecond = requests.filter((r) => r.startMs >= s * 1000 && r.startMs < (s + 1) * 1000);
    const served: Record<string, number> = {};
    for (const r of inSecond) if (r.ok && r.deployment !== undefined) served[r.deployment] = (served[r.deployment] ?? 0) + 1;
    const last = [...breakers].reverse().find((b) => b.atMs < (s + 1) * 1000);
    buckets.push({
      second: s,
      served,
      errors: inSecond.filter((r) => !r.ok).length,
      p95Ms: percentiles(inSecond.filter((r) => r.ok).map((r) => r.endMs - r.startMs)).p95,
      breakers: Object.fromEntries(targets.map((t) => [t, last?.states[t] ?? 'closed'])),
    });
  }
  return buckets;
}
