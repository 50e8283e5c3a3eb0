import type { RateLimitRule } from './config.js';

export type LimitWindow = 'minute' | 'day';

const WINDOW_MS: Readonly<Record<LimitWindow, number>> = { minute: 60_000, day: 86_400_000 };

/** One rate-limit counter a request falls under: a rule's window for one scope value. */
export interface LimitRef {
  /** `rule|m|window-start|value`: unique per rule, window and scope value. */
  counter: string;
  rule: string;
  window: LimitWindow;
  requestLimit: number | undefined;
  tokenLimit: number | undefined;
  /** When the (fixed, epoch-aligned) window ends and the counter starts again from zero. */
  resetAt: number;
}

/**
 * The counters a request with these tags, routed to `group`, falls under at `now`: for every matching rule, a minute
 * and/or a day counter. Windows are fixed and aligned to the minute and the UTC day, so replicas
 * agree on them without talking. Appends to `refs` when given.
 */
export function countersFor(rules: readonly RateLimitRule[], tags: Readonly<Record<string, string>>, group: string | undefined, now: number, refs: LimitRef[] = []): LimitRef[] {
  for (const r of rules) {
    if (r.group !== undefined && r.group !== group) continue;
    let matches = true;
    for (const k in r.match) if (tags[k] !== r.match[k]) matches = false;
    if (!matches) continue;
    const value = r.per === undefined ? '*' : tags[r.per];
    if (value === undefined) continue;
    if (r.requests_per_minute !== undefined || r.tokens_per_minute !== undefined) refs.push(ref(r, 'minute', r.requests_per_minute, r.tokens_per_minute, value, now));
    if (r.requests_per_day !== undefined || r.tokens_per_day !== undefined) refs.push(ref(r, 'day', r.requests_per_day, r.tokens_per_day, value, now));
  }
  return refs;
}

function ref(r: RateLimitRule, window: LimitWindow, requestLimit: number | undefined, tokenLimit: number | undefined, value: string, now: number): LimitRef {
  const size = WINDOW_MS[window];
  const start = now - (now % size);
  return { counter: `${r.name}|${window === 'minute' ? 'm' : 'd'}|${start}|${value}`, rule: r.name, window, requestLimit, tokenLimit, resetAt: start + size };
}
