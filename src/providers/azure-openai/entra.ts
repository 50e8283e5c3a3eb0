import type { AccessToken, TokenCredential } from '@azure/identity';
import { GatewayError } from '../../core/errors.js';
import { abortedBeforeSending, raceAbort } from '../../core/abort.js';
import type { CancelSignal } from '../../core/cancel.js';
import type { Clock } from '../../core/clock.js';
import type { EntraAuth } from './options.js';

const PROVIDER = 'azure-openai';

/** Refresh this long before expiry, so no request ever leaves with a token about to lapse. */
const REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * Builds the configured @azure/identity credential. The module is imported on first use so gateways
 * without Entra deployments never load MSAL.
 */
export async function createCredential(auth: EntraAuth): Promise<TokenCredential> {
  const identity = await import('@azure/identity');
  switch (auth.credential) {
    case 'default':
      return auth.client_id ? new identity.DefaultAzureCredential({ managedIdentityClientId: auth.client_id }) : new identity.DefaultAzureCredential();
    case 'managed_identity':
      return auth.client_id ? new identity.ManagedIdentityCredential({ clientId: auth.client_id }) : new identity.ManagedIdentityCredential();
    case 'client_secret':
      return new identity.ClientSecretCredential(auth.tenant_id, auth.client_id, auth.client_secret.reveal(), auth.authority_host ? { authorityHost: auth.authority_host } : {});
  }
}

export interface EntraTokenSourceOptions {
  /** The credential, or how to make it on first use. */
  credential: TokenCredential | (() => Promise<TokenCredential>);
  scope: string;
  clock: Clock;
}

/**
 * Caches one Entra ID access token per deployment. A token is refreshed in the background from its
 * refresh point (the credential's refreshAfterTimestamp or five minutes before expiry) while callers
 * keep using it; only a missing or expired token makes a caller wait. Concurrent refreshes are merged.
 */
export class EntraTokenSource {
  private cached: AccessToken | undefined;
  private inflight: Promise<AccessToken> | undefined;
  private credential: Promise<TokenCredential> | undefined;

  constructor(private readonly options: EntraTokenSourceOptions) {}

  /** A valid bearer token, fetching or refreshing it as needed. */
  async token(signal: CancelSignal): Promise<string> {
    const now = this.options.clock.now();
    const cached = this.cached;
    if (cached && now < cached.expiresOnTimestamp) {
      if (now >= refreshPoint(cached)) void this.refresh().catch(() => undefined);
      return cached.token;
    }
    // Lets this caller stop waiting for a shared refresh without cancelling it for the others.
    return (await raceAbort(this.refresh(), signal, cancelled)).token;
  }

  /** Forgets the cached token (after the upstream rejected it with a 401). */
  invalidate(): void {
    this.cached = undefined;
  }

  private refresh(): Promise<AccessToken> {
    this.inflight ??= this.fetch().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async fetch(): Promise<AccessToken> {
    let token: AccessToken | null;
    try {
      const credential = await this.getCredential();
      token = await credential.getToken(this.options.scope);
    } catch (err) {
      throw new GatewayError({
        kind: 'authentication',
        message: `Azure Entra ID token could not be obtained (${err instanceof Error ? err.name : 'error'}).`,
        provider: PROVIDER,
        cause: err,
      });
    }
    if (!token?.token) {
      throw new GatewayError({ kind: 'authentication', message: 'Azure Entra ID credential returned no token.', provider: PROVIDER });
    }
    this.cached = token;
    return token;
  }

  private getCredential(): Promise<TokenCredential> {
    const source = this.options.credential;
    this.credential ??= typeof source === 'function' ? source() : Promise.resolve(source);
    // A failed construction (e.g. bad module load) is retried on the next request.
    this.credential.catch(() => {
      this.credential = undefined;
    });
    return this.credential;
  }
}

function refreshPoint(token: AccessToken): number {
  const margin = token.expiresOnTimestamp - REFRESH_MARGIN_MS;
  return token.refreshAfterTimestamp !== undefined ? Math.min(token.refreshAfterTimestamp, margin) : margin;
}

/** A caller that left while waiting for a token sent nothing upstream. */
function cancelled(signal: CancelSignal): GatewayError {
  return abortedBeforeSending(signal, PROVIDER);
}
