import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readSecretVariables } from './secrets-manager.js';
import { secretsManagerVariables } from './secret-variables.js';

const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:switchyard/gateway-AbCdEf';
const credentials = { accessKeyId: 'AKIDLAMBDA', secretAccessKey: 'role-secret', sessionToken: 'role-token' };

interface Seen {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const servers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of servers.splice(0)) await close();
});

/** A local Secrets Manager answering every request with `status` and `json`, recording each request. */
async function secretsManager(status: number, json: unknown): Promise<{ endpoint: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const secret = (value: unknown) => ({ ARN, Name: 'switchyard/gateway', VersionId: 'v1', VersionStages: ['AWSCURRENT'], CreatedDate: 1.7e9, SecretString: JSON.stringify(value) });

describe('readSecretVariables (Secrets Manager GetSecretValue, with the official client)', () => {
  it("returns the secret's key/value pairs after one GetSecretValue call, signed for secretsmanager in the secret's Region", async () => {
    const aws = await secretsManager(200, secret({ SWITCHYARD_API_KEY: 'sk-client', DATABASE_URL: 'postgres://u:p@db/ledger' }));
    const variables = await readSecretVariables(ARN, { credentials, endpoint: aws.endpoint });
    expect(variables).toEqual({ SWITCHYARD_API_KEY: 'sk-client', DATABASE_URL: 'postgres://u:p@db/ledger' });
    expect(aws.seen).toHaveLength(1);
    const [call] = aws.seen as [Seen];
    expect([call.method, call.path]).toEqual(['POST', '/']);
    expect(JSON.parse(call.body)).toEqual({ SecretId: ARN });
    expect(call.headers).toMatchObject({ 'x-amz-target': 'secretsmanager.GetSecretValue', 'content-type': 'application/x-amz-json-1.1', 'x-amz-security-token': 'role-token' });
    expect(call.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDLAMBDA\/\d{8}\/eu-west-1\/secretsmanager\/aws4_request, SignedHeaders=[^,]*x-amz-target[^,]*, Signature=[0-9a-f]{64}$/);
  });

  it("names the secret and AWS's error when the call is refused, without retrying a refusal", async () => {
    const aws = await secretsManager(400, { __type: 'AccessDeniedException', message: 'not authorized to perform: secretsmanager:GetSecretValue' });
    await expect(readSecretVariables(ARN, { credentials, endpoint: aws.endpoint })).rejects.toThrow(`cannot read secret ${ARN}: AccessDeniedException (HTTP 400): not authorized`);
    expect(aws.seen).toHaveLength(1);
  });

  it('refuses a secret that is not a JSON object of strings, without quoting it', async () => {
    const cases: [string, RegExp][] = [
      ['sk-plain-text-secret', /is not JSON/],
      ['["sk-in-a-list"]', /not a JSON object/],
      ['{"PORT": 4000}', /value of PORT is a number/],
      ['{"bad name": "sk-x"}', /"bad name" is not a variable name/],
    ];
    for (const [text, message] of cases) {
      const aws = await secretsManager(200, { ARN, SecretString: text });
      const error = (await readSecretVariables(ARN, { credentials, endpoint: aws.endpoint }).catch((e: unknown) => e)) as Error;
      expect(error.message, text).toMatch(message);
      expect(error.message, text).not.toMatch(/sk-|4000/);
    }
  });

  it('refuses a binary secret, and anything that is not a secret ARN before calling AWS', async () => {
    const binary = await secretsManager(200, { ARN, SecretBinary: 'c2stYmluYXJ5' });
    await expect(readSecretVariables(ARN, { credentials, endpoint: binary.endpoint })).rejects.toThrow(/no SecretString/);
    const aws = await secretsManager(200, secret({}));
    await expect(readSecretVariables('switchyard/gateway', { credentials, endpoint: aws.endpoint })).rejects.toThrow(/not a Secrets Manager secret ARN/);
    await expect(readSecretVariables('arn:aws:ssm:eu-west-1:111122223333:parameter/gw', { credentials, endpoint: aws.endpoint })).rejects.toThrow(/not a Secrets Manager secret ARN/);
    expect(aws.seen).toEqual([]);
  });
});

describe('secretsManagerVariables', () => {
  it('reads nothing when SWITCHYARD_SECRETS_ARN is unset or empty', async () => {
    expect(await secretsManagerVariables({})).toEqual({});
    expect(await secretsManagerVariables({ SWITCHYARD_SECRETS_ARN: '' })).toEqual({});
  });
});
