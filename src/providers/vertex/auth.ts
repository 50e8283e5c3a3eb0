import { GoogleAuth, type JWTInput } from 'google-auth-library';
import { GatewayError } from '../../core/errors.js';
import type { Secret } from '../../config/secret.js';
import { registerSecret, scrubUpstreamText } from '../../core/scrub.js';

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
        // The library's message (never its request config, which holds the signed assertion) quotes the
        // token endpoint's answer (`error: error_description`): the upstream's words, kept apart as any
        // upstream's are (logged; shown only by exposing deployments), scrubbed before they are cut.
        const upstreamText = scrubUpstreamText(err instanceof Error ? err.message : undefined);
        throw new GatewayError({ kind: 'authentication', message: `Upstream ${provider} could not obtain Google credentials.`, provider, upstreamText });
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
