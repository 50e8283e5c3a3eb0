import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { BedrockOptions } from './index.js';

/** AWS credentials as SigV4 needs them; `expiration` is set for temporary ones. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export type CredentialSource = () => Promise<AwsCredentials>;

/** Temporary credentials are refreshed this long before they expire, so no request signs with stale ones. */
export const REFRESH_BEFORE_MS = 5 * 60_000;

/**
 * Caches credentials and reloads them shortly before they expire. Concurrent callers share one
 * reload; if a reload fails while the cached credentials are still valid, those are used and the next
 * call tries again.
 */
export function memoizeCredentials(load: CredentialSource, now: () => number = Date.now, refreshBeforeMs = REFRESH_BEFORE_MS): CredentialSource {
  let cached: AwsCredentials | undefined;
  let inflight: Promise<AwsCredentials> | undefined;
  const reload = (): Promise<AwsCredentials> => {
    inflight ??= load()
      .then((c) => {
        cached = c;
        return c;
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };
  return async () => {
    const current = cached;
    if (!current) return reload();
    const expires = current.expiration?.getTime();
    if (expires === undefined || expires - now() > refreshBeforeMs) return current;
    if (expires > now()) return reload().catch(() => current);
    return reload();
  };
}

/** Fixed keys from the config's secret references. */
export function staticCredentials(creds: AwsCredentials): CredentialSource {
  return () => Promise.resolve(creds);
}

/**
 * The AWS default chain (env, shared config/credentials profile, web identity / IRSA, ECS container
 * credentials, EC2 IMDS), memoized with refresh before expiry. Nothing is read until the first call.
 */
export function defaultChainCredentials(profile: string | undefined, now?: () => number): CredentialSource {
  const chain = fromNodeProviderChain(profile === undefined ? {} : { profile });
  return memoizeCredentials(async () => {
    const c = await chain();
    const out: AwsCredentials = { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey };
    if (c.sessionToken !== undefined) out.sessionToken = c.sessionToken;
    if (c.expiration !== undefined) out.expiration = c.expiration;
    return out;
  }, now);
}

/** The deployment's explicit keys, or the AWS default chain (environment, SSO, IMDS, ECS, web identity). */
export function credentialsFor(o: BedrockOptions): CredentialSource {
  if (o.access_key_id && o.secret_access_key) {
    return staticCredentials({
      accessKeyId: o.access_key_id.reveal(),
      secretAccessKey: o.secret_access_key.reveal(),
      ...(o.session_token ? { sessionToken: o.session_token.reveal() } : {}),
    });
  }
  return defaultChainCredentials(o.profile);
}
