import * as z from './zod.js';
import { resolveSecretRef, Secret } from './secret.js';
import { headerProblem } from '../providers/transport/request-head.js';

/** The forms a secret field takes, as its messages name them: a literal works, and check-config and serve warn about it. */
const SECRET_FORMS = '${ENV_VAR}, file:/path, or the value itself, which is warned about';

const AS_TEXT = (issue: { input: unknown }): string | undefined =>
  issue.input === undefined ? undefined : `expected a secret as text (${SECRET_FORMS}), got a ${typeof issue.input === 'object' ? 'mapping or list' : typeof issue.input} (not shown)`;

/** The warning for a secret written into the config (`api_key: sk-...`), at its path; the value is never shown. */
export const LITERAL_SECRET = 'a literal secret in the config file; use ${ENV_VAR} or file:/path';

/**
 * Whether a secret field's text, as written in the file, is the secret itself: neither `file:/path` nor
 * holding a `${VAR}` reference (`$${` is an escaped, literal `${`). A store's URL is a secret for its
 * password only: `redis://127.0.0.1:6379` written out holds none.
 */
export function isLiteralSecret(written: string): boolean {
  if (written === '' || written.startsWith('file:') || written.replace(/\$\$\{/g, '').includes('${')) return false;
  if (written.includes('://') && URL.canParse(written)) return new URL(written).password !== '';
  return true;
}

function resolve(ref: string, ctx: z.RefinementCtx): Secret {
  try {
    return resolveSecretRef(ref);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
}

/**
 * A secret in the config: `${ENV_VAR}` (filled in before this runs), `file:/path`, or the value itself,
 * resolved at load time into a `Secret`. The value itself works (the demo's fake keys, tests); the CLI
 * warns about it by path (`load.ts` `literalSecrets`, from `isLiteralSecret` on the file's text). A value of the wrong type is named, never shown: an unquoted numeric key would
 * otherwise be printed by check-config and answered by a reload.
 */
export const secretRef = secretInput()
  .refine((v) => v !== '', `expected a secret (${SECRET_FORMS}), got an empty string`)
  .transform((v, ctx) => (v instanceof Secret ? v : resolve(v, ctx)));

/**
 * A secret sent as (part of) a header value: an API key, a client key compared with one, an OTLP
 * header. A line break or control character would split the request or never match; refused at the
 * field's path, without the value.
 */
export const headerSecretRef = secretRef.superRefine((secret, ctx) => {
  const problem = secret instanceof Secret ? headerProblem('authorization', secret.reveal()) : undefined;
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `the value ${problem}; it is sent in a header` });
});

/**
 * A store's connection URL (`ledger.url`, `state.redis_url`): a secret reference that may also be empty,
 * which means not set. `${DATABASE_URL:-}` then names the URL when the environment has one and leaves it
 * out otherwise, so one config serves with and without the store (deploy/kubernetes/components/
 * shared-stores); the store that needs the URL still refuses to start without it. Other secrets stay
 * `secretRef`, where an empty value is a mistake (an API key that would send no key). A URL that does
 * not parse (`not a url`, a port that is no number) or has another scheme than `protocols` (a driver
 * would fail at start, or read it as something else) is refused here, never quoted: it may hold a password.
 */
export function storeUrlRef(protocols: readonly string[], example: string) {
  const schemes = protocols.map((p) => `${p}//`).join(' or ');
  return secretInput()
    .transform((v, ctx): Secret | undefined => (v instanceof Secret ? v : v === '' ? undefined : resolve(v, ctx)))
    .superRefine((secret, ctx) => {
      if (secret === undefined) return;
      const text = secret.reveal();
      const url = URL.canParse(text) ? new URL(text) : undefined;
      if (url === undefined) ctx.addIssue({ code: 'custom', message: `is not a URL (not shown: it may hold a password); expected a ${schemes} URL such as ${example}` });
      else if (!protocols.includes(url.protocol)) ctx.addIssue({ code: 'custom', message: `must be a ${schemes} URL, such as ${example} (not shown: it may hold a password)` });
    })
    .optional();
}

/**
 * A reference as text, or a `Secret` a parse already resolved: a library caller may spread a loaded
 * config into `createGateway({ ...config, logging })`, which validates it again.
 */
function secretInput() {
  return z.custom<string | Secret>((v) => typeof v === 'string' || v instanceof Secret, {
    error: (issue) => (issue.input === undefined ? `required: a secret (${SECRET_FORMS})` : AS_TEXT(issue)),
  });
}
