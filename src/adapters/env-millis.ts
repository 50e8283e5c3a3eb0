/**
 * A duration in milliseconds from the environment variable `name`; `fallback` when it is unset or blank.
 * A value that is not a whole number of 0 or more is reported on stderr and `fallback` used: a `main`
 * reads it at import, where a throw would fail every invocation with the platform's bare error.
 */
export function millisFromEnv(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const ms = Number(text);
  if (Number.isInteger(ms) && ms >= 0) return ms;
  process.stderr.write(`${JSON.stringify({ level: 'error', msg: `${name} must be a whole number of milliseconds (0 or more), got "${text}"; using ${fallback}` })}\n`);
  return fallback;
}
