import * as z from './zod.js';

/** The longest delay Node's timers hold: 2^31-1 ms, about 24.8 days. A longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * Milliseconds a timer waits on: a whole number Node's timers can hold. Past the limit Node sets the
 * delay to 1 ms, so an operator's "practically never" (`attempt_timeout_ms: 3000000000`) would time
 * out every request at once.
 */
export function timerMs(): z.ZodNumber {
  return z.number().int().max(MAX_TIMER_MS, `must be at most ${MAX_TIMER_MS} (about 24.8 days, the longest wait Node's timers can hold)`);
}
