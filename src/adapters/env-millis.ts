import { MAX_TIMER_MS } from '../config/timer.js';

/**
 * A duration in milliseconds from the environment variable `name`; `fallback` when it is unset or blank.
 * A value that is not a whole number from `min` (default 0) to the longest wait Node's timers hold
 * (`MAX_TIMER_MS`: a longer one fires after 1 ms) is reported on stderr and `fallback` used: a `main`
 * reads it at import, where a throw would fail every invocation with the platform's bare error.
 */
export function millisFromEnv(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number, min = 0): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const ms = Number(text);
  if (Number.isInteger(ms) && ms >= min && ms <= MAX_TIMER_MS) return ms;
  process.stderr.write(`${JSON.stringify({ level: 'error', msg: `${name} must be a whole number of milliseconds (${min} or more, at most ${MAX_TIMER_MS}), got "${text}"; using ${fallback}` })}\n`);
  return fallback;
}
