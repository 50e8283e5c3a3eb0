import { afterEach, describe, expect, it, vi } from 'vitest';
import { Secret } from '../../config/secret.js';
import { createSimServiceAccount } from '../../sim/vertex/credentials.js';
import { checkBearer } from '../../sim/vertex/auth.js';
import { googleTokenSource } from './auth.js';

const account = createSimServiceAccount('auth-project');

function claims(authorization: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(authorization.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('google token source', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('signs a scoped RS256 JWT with the service-account key, reuses it, and signs a new one near expiry', async () => {
    vi.useFakeTimers({ now: new Date('2026-03-01T10:00:00Z'), toFake: ['Date'] });
    const tokens = googleTokenSource({ credentials: new Secret(account.json), selfSignedJwt: true }, 'vertex');
    const first = (await tokens.headers()).authorization ?? '';
    expect(checkBearer(first, account.publicKey, Math.floor(Date.now() / 1000))).toBeUndefined();
    expect(claims(first)).toMatchObject({ iss: account.clientEmail, scope: 'https://www.googleapis.com/auth/cloud-platform' });
    vi.setSystemTime(new Date('2026-03-01T10:30:00Z'));
    expect((await tokens.headers()).authorization).toBe(first);
    vi.setSystemTime(new Date('2026-03-01T11:00:00Z'));
    const renewed = (await tokens.headers()).authorization ?? '';
    expect(renewed).not.toBe(first);
    expect(checkBearer(renewed, account.publicKey, Math.floor(Date.now() / 1000))).toBeUndefined();
    expect(checkBearer(first, account.publicKey, Math.floor(Date.now() / 1000) + 3600)).toBe('expired');
  });

  it('turns an unusable key into an authentication error that does not echo the key', async () => {
    const broken = JSON.stringify({ ...(JSON.parse(account.json) as Record<string, unknown>), private_key: '-----BEGIN PRIVATE KEY-----\nnot-a-key\n-----END PRIVATE KEY-----\n' });
    const err = await googleTokenSource({ credentials: new Secret(broken), selfSignedJwt: true }, 'vertex')
      .headers()
      .catch((e: unknown) => e as Error & { kind?: string });
    expect(err).toMatchObject({ kind: 'authentication' });
    expect(String((err as Error).message)).not.toContain('not-a-key');
  });

  it('forwards the quota project of the credentials', async () => {
    const withQuota = JSON.stringify({ ...(JSON.parse(account.json) as Record<string, unknown>), quota_project_id: 'billing-project' });
    const headers = await googleTokenSource({ credentials: new Secret(withQuota), selfSignedJwt: true }, 'vertex').headers();
    expect(headers['x-goog-user-project']).toBe('billing-project');
  });
});
