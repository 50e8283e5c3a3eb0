// One Secrets Manager GetSecretValue call, signed with SigV4 over the helpers Bedrock already uses: the
// full AWS SDK client would add a dependency and ~100 modules to a cold start for a single request.
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { defaultChainCredentials, type CredentialSource } from '../../providers/bedrock/credentials.js';
import { NodeSha256 } from '../../providers/bedrock/sign.js';

export interface SecretsManagerOptions {
  /** Default: the AWS default chain (on Lambda, the execution role's credentials from the environment). */
  readonly credentials?: CredentialSource;
  /** Default: the global fetch, looked up at call time. */
  readonly fetch?: typeof fetch;
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
  const [, partition, region] = parsed as unknown as [string, string, string];
  const url = new URL(`https://secretsmanager.${region}.${partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com'}/`);
  const body = JSON.stringify({ SecretId: arn });
  const signer = new SignatureV4({ credentials: options.credentials ?? defaultChainCredentials(undefined), region, service: 'secretsmanager', sha256: NodeSha256 });
  const signed = await signer.sign(
    new HttpRequest({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      path: url.pathname,
      headers: { host: url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue' },
      body,
    }),
  );
  const doFetch = options.fetch ?? globalThis.fetch;
  const response = await doFetch(url, { method: 'POST', headers: signed.headers, body, signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
  const answer = (await response.json().catch(() => ({}))) as { SecretString?: unknown; __type?: unknown; Message?: unknown; message?: unknown };
  if (!response.ok) {
    const type = typeof answer.__type === 'string' ? answer.__type.replace(/^.*#/, '') : 'error';
    const message = answer.Message ?? answer.message;
    throw new Error(`cannot read secret ${arn}: ${type} (HTTP ${response.status})${typeof message === 'string' ? `: ${message}` : ''}`);
  }
  if (typeof answer.SecretString !== 'string') throw new Error(`secret ${arn} holds no SecretString (binary secrets are not read)`);
  return variablesOf(answer.SecretString, arn);
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
