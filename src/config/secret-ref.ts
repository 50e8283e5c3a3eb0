import * as z from './zod.js';
import { resolveSecretRef, type Secret } from './secret.js';

/**
 * A secret reference in the config: a literal (usually `${ENV_VAR}`) or `file:/path`, resolved at load
 * time into a `Secret`. A value of the wrong type is named, never shown: an unquoted numeric key would
 * otherwise be printed by check-config and answered by a reload.
 */
export const secretRef = z
  .string({ error: (issue) => (issue.input === undefined ? undefined : `expected a secret reference (\${ENV_VAR} or file:/path) as text, got a ${typeof issue.input === 'object' ? 'mapping or list' : typeof issue.input} (not shown)`) })
  .min(1, 'expected a secret reference (${ENV_VAR} or file:/path), got an empty string')
  .transform((ref, ctx): Secret => {
    try {
      return resolveSecretRef(ref);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });
