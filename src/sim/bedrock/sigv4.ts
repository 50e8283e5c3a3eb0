import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

export interface SimCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Why a request was refused, in AWS's terms (always a 403). */
export interface AuthFailure {
  name: string;
  message: string;
}

export interface VerifyInput {
  method: string;
  /** The raw path as received (still percent-encoded), without the query. */
  rawPath: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface VerifyOptions {
  credentials: SimCredentials;
  /** When set, the credential scope must name this region. */
  region?: string;
  now: number;
}

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;:-]+), ?Signature=([0-9a-f]{64})$/;
const MAX_SKEW_MS = 15 * 60_000;

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(',') : v;
}

function parseAmzDate(v: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(v);
  if (!m) return undefined;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

const INVALID_TOKEN: AuthFailure = { name: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };

/**
 * Verifies a SigV4-signed request the way AWS does: the access key and session token must be the
 * configured ones, the scope must be `bedrock` (and the region, if given), the date fresh, the body
 * must match `x-amz-content-sha256` when sent (the signer trusts that header), and the signature
 * recomputed over exactly the signed headers must match. Returns undefined when the request is good.
 */
export async function verifySigV4(input: VerifyInput, options: VerifyOptions): Promise<AuthFailure | undefined> {
  const auth = first(input.headers.authorization);
  if (!auth) return { name: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
  const m = AUTH.exec(auth);
  if (!m) return { name: 'IncompleteSignatureException', message: 'Authorization header requires Credential, SignedHeaders and Signature.' };
  const [, accessKeyId, scopeDate, region, service, signedList, signature] = m as unknown as [string, string, string, string, string, string, string];
  const { credentials } = options;
  if (accessKeyId !== credentials.accessKeyId) return INVALID_TOKEN;
  const token = first(input.headers['x-amz-security-token']);
  if (token !== credentials.sessionToken) return INVALID_TOKEN;
  if (service !== 'bedrock') return { name: 'InvalidSignatureException', message: "Credential should be scoped to correct service: 'bedrock'." };
  if (options.region !== undefined && region !== options.region) {
    return { name: 'InvalidSignatureException', message: `Credential should be scoped to a valid region, not '${region}'.` };
  }
  const amzDate = first(input.headers['x-amz-date']);
  const date = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  if (!date || !amzDate?.startsWith(scopeDate)) return { name: 'IncompleteSignatureException', message: 'Date must be in ISO-8601 basic format and match the credential scope.' };
  if (Math.abs(options.now - date.getTime()) > MAX_SKEW_MS) {
    return { name: 'InvalidSignatureException', message: `Signature expired: ${amzDate} is now earlier or later than the allowed 15 minutes.` };
  }
  const declaredHash = first(input.headers['x-amz-content-sha256']);
  if (declaredHash !== undefined && declaredHash !== createHash('sha256').update(input.body).digest('hex')) {
    return { name: 'InvalidSignatureException', message: 'The provided x-amz-content-sha256 header does not match what was computed.' };
  }
  const signed = signedList.split(';');
  const headers: Record<string, string> = {};
  for (const name of signed) {
    // Over HTTP/2 the AWS SDK signs `:authority` in place of `host`; either may carry the host.
    const value = name === 'host' ? first(input.headers.host) ?? first(input.headers[':authority']) : first(input.headers[name]);
    if (value === undefined) return { name: 'InvalidSignatureException', message: `Signed header ${name} is missing from the request.` };
    headers[name] = value;
  }
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(input.query.keys())) {
    const all = input.query.getAll(key);
    query[key] = all.length === 1 ? (all[0] as string) : all;
  }
  const signer = new SignatureV4({ credentials, region, service, sha256: Sha256, applyChecksum: false });
  const request = new HttpRequest({ method: input.method, protocol: 'http:', hostname: headers.host ?? headers[':authority'] ?? 'localhost', path: input.rawPath, query, headers, body: input.body });
  const expected = await signer.sign(request, { signingDate: date, signableHeaders: new Set(signed) });
  const expectedSignature = /Signature=([0-9a-f]{64})/.exec(expected.headers.authorization ?? '')?.[1];
  if (expectedSignature !== signature) {
    return {
      name: 'InvalidSignatureException',
      message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    };
  }
  return undefined;
}
