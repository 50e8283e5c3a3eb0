// One Secrets Manager GetSecretValue call at cold start, with the official client (loaded only when
// SWITCHYARD_SECRETS_ARN is set): importing it costs about what the signer and credential chain it
// replaced did (86-109 ms against 79-103 ms, unbundled, on the bench machine).
import { GetSecretValueCommand, SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';

export interface SecretsManagerOptions {
  /** Default: the SDK's default chain (on Lambda, the execution role's credentials from the environment). */
  readonly credentials?: SecretsManagerClientConfig['credentials'];
  /** Default: the Region's endpoint (or `AWS_ENDPOINT_URL_SECRETS_MANAGER`, as the SDK reads it). */
  readonly endpoint?: string;
  /** Default 10 s: a cold start waits on this call. */
  readonly timeoutMs?: number;
}

const SECRET_ARN = /^arn:(aws[a-z-]*):secretsmanager:([a-z0-9-]+):\d{12}:secret:[^\s]+$/;
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Reads a Secrets Manager secret whose value is a JSON object of strings (the console's "key/value"
 * secret, e.g. `{"SWITCHYARD_API_KEY": "...", "DATABASE_URL": "..."}`) and returns it as variables for
 * the config's `${VAR}` references. Errors name the secret and AWS's error, never a value.
 */
export async function readSecretVariables(arn: string, options: SecretsManagerOptions = {}): Promise<Record<string, string>> {
  const parsed = SECRET_ARN.exec(arn);
  if (!parsed) throw new Error(`SWITCHYARD_SECRETS_ARN is not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME): ${arn}`);
  const region = parsed[2] as string;
  const client = new SecretsManagerClient({ region, credentials: options.credentials, endpoint: options.endpoint });
  let secretString: string | undefined;
  try {
    const answer = await client.send(new GetSecretValueCommand({ SecretId: arn }), { abortSignal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
    secretString = answer.SecretString;
  } catch (err) {
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    throw new Error(`cannot read secret ${arn}: ${e.name ?? 'error'}${status === undefined ? '' : ` (HTTP ${status})`}${e.message ? `: ${e.message}` : ''}`);
  } finally {
    client.destroy();
  }
  if (typeof secretString !== 'string') throw new Error(`secret ${arn} holds no SecretString (binary secrets are not read)`);
  return variablesOf(secretString, arn);
}

/** The secret's JSON object as variables; a message about it never quotes the text (JSON.parse's would). */
function variablesOf(text: string, arn: string): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`secret ${arn} is not JSON: expected an object such as {"SWITCHYARD_API_KEY": "..."}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`secret ${arn} is not a JSON object of variable names to strings`);
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(value)) {
    if (!VARIABLE.test(name)) throw new Error(`secret ${arn}: key "${name}" is not a variable name ([A-Za-z_][A-Za-z0-9_]*)`);
    if (typeof v !== 'string') throw new Error(`secret ${arn}: the value of ${name} is a ${v === null ? 'null' : typeof v}, expected a string (not shown)`);
    out[name] = v;
  }
  return out;
}
