import * as z from './zod.js';
import { resolveSecretRef, Secret } from './secret.js';

const AS_TEXT = (issue: { input: unknown }): string | undefined =>
  issue.input === undefined ? undefined : `expected a secret reference (\${ENV_VAR} or file:/path) as text, got a ${typeof issue.input === 'object' ? 'mapping or list' : typeof issue.input} (not shown)`;

function resolve(ref: string, ctx: z.RefinementCtx): Secret {
  try {
    return resolveSecretRef(ref);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
}

/**
 * A secret reference in the config: a literal (usually `${ENV_VAR}`) or `file:/path`, resolved at load
 * time into a `Secret`. A value of the wrong type is named, never shown: an unquoted numeric key would
 * otherwise be printed by check-config and answered by a reload.
 */
export const secretRef = secretInput()
  .refine((v) => v !== '', 'expected a secret reference (${ENV_VAR} or file:/path), got an empty string')
  .transform((v, ctx) => (v instanceof Secret ? v : resolve(v, ctx)));

/**
 * A store's connection URL (`ledger.url`, `state.redis_url`): a secret reference that may also be empty,
 * which means not set. `${DATABASE_URL:-}` then names the URL when the environment has one and leaves it
 * out otherwise, so one config serves with and without the store (deploy/kubernetes/components/
 * shared-stores); the store that needs the URL still refuses to start without it. Other secrets stay
 * `secretRef`, where an empty value is a mistake (an API key that would send no key).
 */
export const storeUrlRef = secretInput()
  .transform((v, ctx): Secret | undefined => (v instanceof Secret ? v : v === '' ? undefined : resolve(v, ctx)))
  .optional();

/**
 * A reference as text, or a `Secret` a parse already resolved: a library caller may spread a loaded
 * config into `createGateway({ ...config, logging })`, which validates it again.
 */
function secretInput() {
  return z.custom<string | Secret>((v) => typeof v === 'string' || v instanceof Secret, {
    error: (issue) => (issue.input === undefined ? 'required: a secret reference (${ENV_VAR} or file:/path)' : AS_TEXT(issue)),
  });
}
