import { MAX_TIMER_MS } from '../../config/timer.js';
import { millisFromEnv } from '../env-millis.js';
import { STREAM_END_RESERVE_MS } from '../stream-limit.js';

/** The longest `--timeout` an HTTP function (2nd gen) may have, and the platform's bound when nothing says less. */
export const GCP_MAX_TIMEOUT_MS = 3_600_000;

/**
 * The function's `--timeout`, which Cloud Functions documents no way of telling the function:
 * `SWITCHYARD_FUNCTION_TIMEOUT_MS` (`deploy/gcp/deploy-function.sh` sets it to the timeout it deploys
 * with) and `CLOUD_RUN_TIMEOUT_SECONDS`, which Google's functions frameworks read as the request timeout
 * (functions-framework's `--timeout`) though Cloud Run's runtime contract does not list it: the shorter
 * of those set (a redeploy with a shorter `--timeout` outside the script keeps the script's variable),
 * else `GCP_MAX_TIMEOUT_MS`.
 */
export function functionTimeoutMs(env: Readonly<Record<string, string | undefined>>): number {
  const platform = cloudRunTimeoutMs(env);
  const configured = millisFromEnv(env, 'SWITCHYARD_FUNCTION_TIMEOUT_MS', platform ?? GCP_MAX_TIMEOUT_MS, 1);
  return platform === undefined ? configured : Math.min(configured, platform);
}

/**
 * How long after its start a request is stopped (`GcpOptions.deadlineMs`) under a function timeout of
 * `timeoutMs`: `STREAM_END_RESERVE_MS` before it, room for the 504 or a stream's error event and the
 * ledger's flush before the platform cuts the request; half a timeout too short for that.
 */
export function requestDeadlineMs(timeoutMs: number): number {
  return timeoutMs - Math.min(STREAM_END_RESERVE_MS, Math.floor(timeoutMs / 2));
}

/** `CLOUD_RUN_TIMEOUT_SECONDS` when it is a whole number of seconds above 0 (0 is functions-framework's "no timeout"). */
function cloudRunTimeoutMs(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const text = env.CLOUD_RUN_TIMEOUT_SECONDS?.trim() ?? '';
  if (!/^\d{1,7}$/.test(text)) return undefined;
  const ms = Number(text) * 1_000;
  return ms > 0 && ms <= MAX_TIMER_MS ? ms : undefined;
}
