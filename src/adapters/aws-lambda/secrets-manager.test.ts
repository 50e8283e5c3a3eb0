import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it, vi } from 'vitest';
import { staticCredentials } from '../../providers/bedrock/credentials.js';
import { readSecretVariables } from './secrets-manager.js';
import { secretsManagerVariables } from './secret-variables.js';

const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:switchyard/gateway-AbCdEf';
const credentials = staticCredentials({ accessKeyId: 'AKIDLAMBDA', secretAccessKey: 'role-secret', sessionToken: 'role-token' });

interface Sent {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** A Secrets Manager stand-in answering `status` with `answer` as JSON, recording each request. */
function secretsManager(status: number, answer: unknown): { fetch: typeof fetch; sent: Sent[] } {
  const sent: Sent[] = [];
  const fake = vi.fn((url: URL | string, init?: RequestInit) => {
    sent.push({ url: String(url), headers: init?.headers as Record<string, string>, body: String(init?.body) });
    return Promise.resolve(new Response(JSON.stringify(answer), { status, headers: { 'content-type': 'application/x-amz-json-1.1' } }));
  });
  return { fetch: fake as unknown as typeof fetch, sent };
}

const secret = (value: unknown): { ARN: string; Name: string; SecretString: string } => ({ ARN, Name: 'switchyard/gateway', SecretString: JSON.stringify(value) });

describe('readSecretVariables (Secrets Manager GetSecretValue)', () => {
  it("returns the secret's key/value pairs after one GetSecretValue call, signed for secretsmanager in the secret's Region", async () => {
    const aws = secretsManager(200, secret({ SWITCHYARD_API_KEY: 'sk-client', DATABASE_URL: 'postgres://u:p@db/ledger' }));
    const variables = await readSecretVariables(ARN, { credentials, fetch: aws.fetch });
    expect(variables).toEqual({ SWITCHYARD_API_KEY: 'sk-client', DATABASE_URL: 'postgres://u:p@db/ledger' });
    expect(aws.sent).toHaveLength(1);
    const [call] = aws.sent as [Sent];
    expect(call.url).toBe('https://secretsmanager.eu-west-1.amazonaws.com/');
    expect(JSON.parse(call.body)).toEqual({ SecretId: ARN });
    expect(call.headers).toMatchObject({ 'x-amz-target': 'secretsmanager.GetSecretValue', 'content-type': 'application/x-amz-json-1.1', 'x-amz-security-token': 'role-token' });
    expect(call.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDLAMBDA\/\d{8}\/eu-west-1\/secretsmanager\/aws4_request, SignedHeaders=[^,]*x-amz-target[^,]*, Signature=[0-9a-f]{64}$/);
  });

  it("calls the China partition's endpoint for an aws-cn secret", async () => {
    const aws = secretsManager(200, secret({}));
    await readSecretVariables('arn:aws-cn:secretsmanager:cn-north-1:111122223333:secret:gw-AbCdEf', { credentials, fetch: aws.fetch });
    expect(aws.sent[0]?.url).toBe('https://secretsmanager.cn-north-1.amazonaws.com.cn/');
  });

  it("names the secret and AWS's error when the call is refused", async () => {
    const aws = secretsManager(400, { __type: 'AccessDeniedException', Message: 'not authorized to perform: secretsmanager:GetSecretValue' });
    await expect(readSecretVariables(ARN, { credentials, fetch: aws.fetch })).rejects.toThrow(`cannot read secret ${ARN}: AccessDeniedException (HTTP 400): not authorized`);
  });

  it('refuses a secret that is not a JSON object of strings, without quoting it', async () => {
    const cases: [string, RegExp][] = [
      ['sk-plain-text-secret', /is not JSON/],
      ['["sk-in-a-list"]', /not a JSON object/],
      ['{"PORT": 4000}', /value of PORT is a number/],
      ['{"bad name": "sk-x"}', /"bad name" is not a variable name/],
    ];
    for (const [text, message] of cases) {
      const aws = secretsManager(200, { ARN, SecretString: text });
      const error = (await readSecretVariables(ARN, { credentials, fetch: aws.fetch }).catch((e: unknown) => e)) as Error;
      expect(error.message, text).toMatch(message);
      expect(error.message, text).not.toMatch(/sk-|4000/);
    }
  });

  it('refuses a binary secret and anything that is not a secret ARN, the latter before calling AWS', async () => {
    const binary = secretsManager(200, { ARN, SecretBinary: 'c2stYmluYXJ5' });
    await expect(readSecretVariables(ARN, { credentials, fetch: binary.fetch })).rejects.toThrow(/no SecretString/);
    const aws = secretsManager(200, secret({}));
    await expect(readSecretVariables('switchyard/gateway', { credentials, fetch: aws.fetch })).rejects.toThrow(/not a Secrets Manager secret ARN/);
    await expect(readSecretVariables('arn:aws:ssm:eu-west-1:111122223333:parameter/gw', { credentials, fetch: aws.fetch })).rejects.toThrow(/not a Secrets Manager secret ARN/);
    expect(aws.sent).toEqual([]);
  });
});

describe('secretsManagerVariables', () => {
  it('reads nothing when SWITCHYARD_SECRETS_ARN is unset or empty', async () => {
    const fetch = vi.spyOn(globalThis, 'fetch');
    expect(await secretsManagerVariables({})).toEqual({});
    expect(await secretsManagerVariables({ SWITCHYARD_SECRETS_ARN: '' })).toEqual({});
    expect(fetch).not.toHaveBeenCalled();
    fetch.mockRestore();
  });
});

describe('readSecretVariables, checked by the official Secrets Manager client', () => {
  /** A local Secrets Manager: records each request and answers as `answer` says. */
  async function localSecretsManager(answer: (body: string) => { status: number; json: unknown }) {
    const seen: Array<{ method: string; path: string; headers: IncomingHttpHeaders; body: string }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
        const { status, json } = answer(body);
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(json));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Our reader calls the real endpoint's URL: sent here instead, unchanged otherwise.
    const redirect = ((input: URL | string, init?: RequestInit) => fetch(new URL(new URL(String(input)).pathname, url), init)) as typeof fetch;
    return { url, seen, redirect, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  }

  const sdkCredentials = { accessKeyId: 'AKIDLAMBDA', secretAccessKey: 'role-secret', sessionToken: 'role-token' };

  it('sends the request the official client sends, and reads the answer the official client reads', async () => {
    const value = { SWITCHYARD_API_KEY: 'sk-client', DATABASE_URL: 'postgres://u:p@db/ledger' };
    const aws = await localSecretsManager(() => ({ status: 200, json: { ARN, Name: 'switchyard/gateway', VersionId: 'v1', SecretString: JSON.stringify(value), VersionStages: ['AWSCURRENT'], CreatedDate: 1.7e9 } }));
    try {
      const sdk = new SecretsManagerClient({ region: 'eu-west-1', endpoint: aws.url, credentials: sdkCredentials });
      const official = await sdk.send(new GetSecretValueCommand({ SecretId: ARN }));
      expect(JSON.parse(official.SecretString ?? '')).toEqual(value);
      expect(await readSecretVariables(ARN, { credentials, fetch: aws.redirect })).toEqual(value);
      const [theirs, ours] = aws.seen as [(typeof aws.seen)[0], (typeof aws.seen)[0]];
      expect([ours.method, ours.path]).toEqual([theirs.method, theirs.path]);
      expect(JSON.parse(ours.body)).toEqual(JSON.parse(theirs.body));
      for (const header of ['content-type', 'x-amz-target', 'x-amz-security-token']) expect(ours.headers[header], header).toBe(theirs.headers[header]);
      const scope = (h: IncomingHttpHeaders) => /Credential=AKIDLAMBDA\/\d{8}\/([^,]+),/.exec(String(h.authorization))?.[1];
      expect(scope(ours.headers)).toBe(scope(theirs.headers));
    } finally {
      await aws.close();
    }
  });

  it("names the error the official client names for AWS's error answer", async () => {
    const aws = await localSecretsManager(() => ({ status: 400, json: { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." } }));
    try {
      const sdk = new SecretsManagerClient({ region: 'eu-west-1', endpoint: aws.url, credentials: sdkCredentials });
      const official = (await sdk.send(new GetSecretValueCommand({ SecretId: ARN })).catch((e: unknown) => e)) as Error;
      await expect(readSecretVariables(ARN, { credentials, fetch: aws.redirect })).rejects.toThrow(`${official.name} (HTTP 400): ${official.message}`);
    } finally {
      await aws.close();
    }
  });
});
