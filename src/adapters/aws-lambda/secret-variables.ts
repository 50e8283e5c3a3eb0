/** The environment variable naming the Secrets Manager secret the SAM template's function reads at cold start. */
export const SECRETS_ARN_VARIABLE = 'SWITCHYARD_SECRETS_ARN';

/**
 * The key/value pairs of the Secrets Manager secret `SWITCHYARD_SECRETS_ARN` names, as variables for
 * the config's `${VAR}` references; none when it is unset. The Secrets Manager client is loaded only
 * then, so a function without the variable pays nothing for it.
 */
export async function secretsManagerVariables(env: Readonly<Record<string, string | undefined>>): Promise<Readonly<Record<string, string>>> {
  const arn = env[SECRETS_ARN_VARIABLE];
  if (arn === undefined || arn === '') return {};
  const { readSecretVariables } = await import('./secrets-manager.js');
  return readSecretVariables(arn);
}
