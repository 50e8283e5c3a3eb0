import { GoogleAuth, type JWTInput } from 'google-auth-library';
import { GatewayError } from '../../core/errors.js';
import type { Secret } from '../../config/secret.js';
import { registerSecret, scrub } from '../../core/scrub.js';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** Produces the auth headers for each upstream call. */
export interface TokenSource {
  headers(): Promise<Record<string, string>>;
}

/**
 * Google OAuth via google-auth-library: the given credentials JSON or application default credentials.
 * The library caches the token and refreshes it before expiry, so this is cheap per request. Besides
 * the bearer token, a credential's quota project travels as x-goog-user-project.
 */
export function googleTokenSource(options: { credentials?: Secret; selfSignedJwt: boolean }, provider: string): TokenSource {
  const credentials = options.credentials ? (JSON.parse(options.credentials.reveal()) as JWTInput) : undefined;
  // The whole file is registered as one secret; an upstream would echo its parts.
  for (const part of [credentials?.private_key, credentials?.private_key_id, credentials?.client_secret, credentials?.refresh_token]) {
    if (part) registerSecret(part);
  }
  const auth = new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE], credentials });
  // A service account can sign its own scoped JWT (no token endpoint round trip); Google accepts it.
  if (options.selfSignedJwt) auth.useJWTAccessWithScope = true;
  return {
    async headers() {
      let got: Headers;
      try {
        got = await auth.getRequestHeaders();
      } catch (err) {
        // The library's own message only (never its request config, which holds the signed assertion),
        // scrubbed: it can quote the token endpoint's answer.
        const reason = err instanceof Error ? scrub(err.message.split('\n')[0]?.slice(0, 200) ?? '') : 'unknown error';
        throw new GatewayError({ kind: 'authentication', message: `Upstream ${provider}: could not obtain Google credentials (${reason}).`, provider });
      }
      const authorization = got.get('authorization');
      if (!authorization) throw new GatewayError({ kind: 'authentication', message: `Upstream ${provider}: Google credentials produced no token.`, provider });
      const out: Record<string, string> = { authorization };
      const quotaProject = got.get('x-goog-user-project');
      if (quotaProject) out['x-goog-user-project'] = quotaProject;
      return out;
    },
  };
}
