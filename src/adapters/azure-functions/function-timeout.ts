import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** `functionTimeout`'s default on every plan but Consumption (Flex Consumption, Premium, Dedicated). */
const DEFAULT_TIMEOUT_MS = 30 * 60_000;
/** On the (Linux or Windows) Consumption plan, `WEBSITE_SKU=Dynamic`. */
const CONSUMPTION_TIMEOUT_MS = 5 * 60_000;

/**
 * How long the host lets one invocation run (`functionTimeout`): the app setting
 * `AzureFunctionsJobHost__functionTimeout`, which overrides host.json, else host.json's in `appDir`
 * (the app's root), else the plan's default. `undefined` for `-1` (unbounded, Premium and Dedicated).
 * A value it cannot read counts as the default. The 230 s idle cut is the adapter's `idleDeadline`.
 */
export function functionTimeoutMs(env: Readonly<Record<string, string | undefined>>, appDir: string): number | undefined {
  const fallback = env.WEBSITE_SKU === 'Dynamic' ? CONSUMPTION_TIMEOUT_MS : DEFAULT_TIMEOUT_MS;
  const text = env.AzureFunctionsJobHost__functionTimeout ?? hostJsonTimeout(appDir);
  if (text === undefined) return fallback;
  if (text.trim() === '-1') return undefined;
  // A .NET TimeSpan: [d.]hh:mm:ss[.fff].
  const parts = /^\s*(?:(\d+)\.)?(\d+):(\d+):(\d+)(?:\.\d+)?\s*$/.exec(text);
  if (!parts) return fallback;
  const [days, hours, minutes, seconds] = parts.slice(1).map((p) => Number(p ?? 0)) as [number, number, number, number];
  return (((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1_000;
}

function hostJsonTimeout(appDir: string): string | undefined {
  try {
    const host = JSON.parse(readFileSync(join(appDir, 'host.json'), 'utf8')) as { functionTimeout?: unknown };
    return typeof host.functionTimeout === 'string' ? host.functionTimeout : undefined;
  } catch {
    return undefined;
  }
}
