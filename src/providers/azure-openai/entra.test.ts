import { describe, expect, it } from 'vitest';
import { ClientSecretCredential, DefaultAzureCredential, ManagedIdentityCredential, type AccessToken, type TokenCredential } from '@azure/identity';
import { GatewayError } from '../../core/errors.js';
import type { Clock } from '../../core/clock.js';
import { Secret } from '../../config/secret.js';
import { createCredential, EntraTokenSource } from './entra.js';

const HOUR = 3_600_000;

function fakeClock(start = 1_000_000): Clock & { t: number } {
  const clock = { t: start, now: () => clock.t, sleep: () => Promise.resolve() };
  return clock;
}

/** A TokenCredential that mints numbered tokens valid for an hour from the fake clock's now. */
function fakeCredential(clock: { t: number }, opts: { refreshAfterMs?: number; fail?: () => boolean } = {}) {
  const scopes: Array<string | string[]> = [];
  let minted = 0;
  let release: (() => void) | undefined;
  const credential: TokenCredential & { gate?: Promise<void> } = {
    async getToken(scope): Promise<AccessToken> {
      scopes.push(scope);
      if (credential.gate) await credential.gate;
      if (opts.fail?.()) throw Object.assign(new Error('AADSTS7000215: Invalid client secret provided.'), { name: 'AuthenticationError' });
      minted += 1;
      return {
        token: `tok-${minted}`,
        expiresOnTimestamp: clock.t + HOUR,
        ...(opts.refreshAfterMs !== undefined ? { refreshAfterTimestamp: clock.t + opts.refreshAfterMs } : {}),
      };
    },
  };
  return {
    credential,
    scopes,
    minted: () => minted,
    hold() {
      credential.gate = new Promise<void>((r) => (release = r));
    },
    release() {
      credential.gate = undefined;
      release?.();
    },
  };
}

const signal = new AbortController().signal;
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('EntraTokenSource', () => {
  it('fetches once for the cognitive services scope and reuses the token', async () => {
    const clock = fakeClock();
    const cred = fakeCredential(clock);
    const src = new EntraTokenSource({ credential: cred.credential, scope: 'https://cognitiveservices.azure.com/.default', clock });
    expect(await src.token(signal)).toBe('tok-1');
    clock.t += 30 * 60_000;
    expect(await src.token(signal)).toBe('tok-1');
    expect(cred.minted()).toBe(1);
    expect(cred.scopes).toEqual(['https://cognitiveservices.azure.com/.default']);
  });

  it('merges concurrent first fetches into one credential call', async () => {
    const clock = fakeClock();
    const cred = fakeCredential(clock);
    cred.hold();
    const src = new EntraTokenSource({ credential: cred.credential, scope: 's', clock });
    const all = Promise.all([src.token(signal), src.token(signal), src.token(signal)]);
    cred.release();
    expect(await all).toEqual(['tok-1', 'tok-1', 'tok-1']);
    expect(cred.minted()).toBe(1);
  });

  it('refreshes in the background five minutes before expiry while still serving the old token', async () => {
    const clock = fakeClock();
    const cred = fakeCredential(clock);
    const src = new EntraTokenSource({ credential: cred.credential, scope: 's', clock });
    await src.token(signal);
    clock.t += HOUR - 4 * 60_000; // inside the refresh margin, not yet expired
    expect(await src.token(signal)).toBe('tok-1');
    await flush();
    expect(cred.minted()).toBe(2);
    expect(await src.token(signal)).toBe('tok-2');
  });

  it("honours the credential's refreshAfterTimestamp when it comes first", async () => {
    const clock = fakeClock();
    const cred = fakeCredential(clock, { refreshAfterMs: 10 * 60_000 });
    const src = new EntraTokenSource({ credential: cred.credential, scope: 's', clock });
    await src.token(signal);
    clock.t += 9 * 60_000;
    await src.token(signal);
    await flush();
    expect(cred.minted()).toBe(1);
    clock.t += 2 * 60_000;
    await src.token(signal);
    await flush();
    expect(cred.minted()).toBe(2);
  });

  it('waits for a new token once the cached one has expired', async () => {
    const clock = fakeClock();
    const cred = fakeCredential(clock);
    const src = new EntraTokenSource({ credential: cred.credential, scope: 's', clock });
    await src.token(signal);
    clock.t += HOUR;
    expect(await src.token(signal)).toBe('tok-2');
  });

  it('keeps serving a still-valid token when a background refresh fails', async () => {
    const clock = fakeClock();
    let failing = false;
    const cred = fakeCredential(clock, { fail: () => failing });
    const src = new EntraTokenSource({ credential: cred.credential, scope: 's', clock });
    await src.token(signal);
    failing = true;
    clock.t += HOUR - 60_000;
    expect(await src.token(signal)).toBe('tok-1');
    await flush();
    expect(await src.token(signal)).toBe('tok-1');
  });

  it('maps a credential failure to an authentication GatewayError without the upstream message', async () => {
    const clock = fakeClock();
    const cred = fakeCredential(clock, { fail: () => true });
    const src = new EntraTokenSource({ credential: cred.credential, scope: 's', clock });
    const err = await src.token(signal).catch((e: unknown) => e);
    expect(GatewayError.isInstance(err)).toBe(true);
    expect((err as GatewayError).kind).toBe('authentication');
    expect((err as GatewayError).message).toBe('Azure Entra ID token could not be obtained (AuthenticationError).');
  });

  it('fetches a fresh token after invalidate (the upstream rejected it)', async () => {
    const clock = fakeClock();
    const cred = fakeCredential(clock);
    const src = new EntraTokenSource({ credential: cred.credential, scope: 's', clock });
    await src.token(signal);
    src.invalidate();
    expect(await src.token(signal)).toBe('tok-2');
  });

  it('lets a caller stop waiting without cancelling the shared fetch, its cancellation unsent: its request never left', async () => {
    const clock = fakeClock();
    const cred = fakeCredential(clock);
    cred.hold();
    const src = new EntraTokenSource({ credential: cred.credential, scope: 's', clock });
    const ac = new AbortController();
    const waiting = src.token(ac.signal);
    const other = src.token(signal);
    ac.abort();
    await expect(waiting).rejects.toMatchObject({ kind: 'cancelled', unsent: true });
    cred.release();
    expect(await other).toBe('tok-1');
  });
});

describe('createCredential', () => {
  it('builds the @azure/identity credential the config names', async () => {
    expect(await createCredential({ type: 'entra', credential: 'default', scope: 's' })).toBeInstanceOf(DefaultAzureCredential);
    expect(await createCredential({ type: 'entra', credential: 'managed_identity', client_id: 'c', scope: 's' })).toBeInstanceOf(ManagedIdentityCredential);
    const secret = await createCredential({
      type: 'entra',
      credential: 'client_secret',
      tenant_id: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      client_id: 'c',
      client_secret: new Secret('x'),
      scope: 's',
    });
    expect(secret).toBeInstanceOf(ClientSecretCredential);
  });
});
