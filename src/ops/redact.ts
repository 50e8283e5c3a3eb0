import type { GatewayConfig } from '../config/schema.js';
import type { JsonValue } from '../core/types.js';

const REDACTED = '[redacted]';

/** Keys whose values are credentials even where the schema took them as plain strings. */
// `access_key_id` and `credentials_file` too: a deployment keeps its provider's raw keys beside the parsed
// options, and `credentials_file` may hold a whole service-account JSON given through `${ENV}`.
const SECRET_KEY = /(^|_)(key|secret|token|password|passwd|credentials?|authorization|cookie)(_(id|file|json))?$/i;

/** Header maps carry credentials in any name (`x-api-key`, `authorization`, custom ones): all values go. */
const VALUE_MAPS: ReadonlySet<string> = new Set(['headers']);

/** user:password@ in a URL someone wrote as a plain string. */
const URL_USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/i;

/**
 * Keys holding capability URLs: a webhook's path or query is its credential (Slack, Teams, Discord
 * put the token there), so only the origin is shown.
 */
const CAPABILITY_URL = /^webhook$/i;

/**
 * The running config as GET /v1/switchyard/config shows it: Secret values print `[redacted]` (their
 * toJSON), and so do header values, credential-named keys and passwords in URLs, wherever they sit
 * (provider options are free-form per provider).
 */
export function redactedConfig(config: GatewayConfig): JsonValue {
  return redact(JSON.parse(JSON.stringify(config)) as JsonValue, undefined);
}

function redact(v: JsonValue, key: string | undefined): JsonValue {
  if (typeof v === 'string') {
    if (key !== undefined && SECRET_KEY.test(key)) return REDACTED;
    if (key !== undefined && CAPABILITY_URL.test(key)) return originOnly(v);
    return v.replace(URL_USERINFO, `$1${REDACTED}@`);
  }
  if (Array.isArray(v)) return v.map((x) => redact(x, undefined));
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, JsonValue> = {};
  for (const [k, x] of Object.entries(v)) {
    out[k] = VALUE_MAPS.has(k) && typeof x === 'object' && x !== null && !Array.isArray(x) ? Object.fromEntries(Object.keys(x).map((h) => [h, REDACTED])) : redact(x, k);
  }
  return out;
}

/** A URL's scheme and host, the rest redacted (`https://hooks.slack.com/[redacted]`). */
function originOnly(url: string): string {
  try {
    return `${new URL(url).origin}/${REDACTED}`;
  } catch {
    return REDACTED;
  }
}
