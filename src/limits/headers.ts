import type { LimitRef } from './counters.js';
import type { CounterFigures } from './state.js';

/**
 * A wait as OpenAI's `x-ratelimit-reset-*` headers write it (Go's duration format): `20ms`, `1.5s`,
 * `6m0s`, `1h0m0s`.
 */
export function formatReset(ms: number): string {
  const total = Math.max(0, Math.ceil(ms));
  if (total < 1000) return `${total}ms`;
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor((total % 3_600_000) / 60_000);
  const s = String((total % 60_000) / 1000);
  if (h > 0) return `${h}h${m}m${s}s`;
  return m > 0 ? `${m}m${s}s` : `${s}s`;
}

const RESET = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$/;

/** Milliseconds from a `formatReset` text (`20ms`, `1.5s`, `6m0s`, `1h0m0s`), or undefined for anything else. */
export function parseReset(text: string): number | undefined {
  const m = RESET.exec(text);
  if (!m || text === '') return undefined;
  return Number(m[1] ?? 0) * 3_600_000 + Number(m[2] ?? 0) * 60_000 + Math.round(Number(m[3] ?? 0) * 1000) + Number(m[4] ?? 0);
}

/**
 * OpenAI's rate-limit headers for the tightest counters a request fell under: of all request limits,
 * the one with the fewest requests left (and of all token limits, the fewest tokens), with the time
 * until its window resets. A trio is left out when no counter sets that kind of limit.
 */
export function rateLimitHeaders(refs: readonly LimitRef[], figures: readonly CounterFigures[], now: number): Record<string, string> {
  const headers: Record<string, string> = {};
  let req = -1;
  let tok = -1;
  let reqLeft = Number.POSITIVE_INFINITY;
  let tokLeft = Number.POSITIVE_INFINITY;
  for (let i = 0; i < refs.length; i += 1) {
    const r = refs[i] as LimitRef;
    const f = figures[i] ?? { requests: 0, tokens: 0 };
    if (r.requestLimit !== undefined && r.requestLimit - f.requests < reqLeft) {
      reqLeft = r.requestLimit - f.requests;
      req = i;
    }
    if (r.tokenLimit !== undefined && r.tokenLimit - f.tokens < tokLeft) {
      tokLeft = r.tokenLimit - f.tokens;
      tok = i;
    }
  }
  if (req >= 0) {
    const r = refs[req] as LimitRef;
    headers['x-ratelimit-limit-requests'] = String(r.requestLimit);
    headers['x-ratelimit-remaining-requests'] = String(Math.max(0, reqLeft));
    headers['x-ratelimit-reset-requests'] = formatReset(r.resetAt - now);
  }
  if (tok >= 0) {
    const r = refs[tok] as LimitRef;
    headers['x-ratelimit-limit-tokens'] = String(r.tokenLimit);
    headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, tokLeft));
    headers['x-ratelimit-reset-tokens'] = formatReset(r.resetAt - now);
  }
  return headers;
}
