import { afterEach, describe, expect, it, vi } from 'vitest';
import { Sha256 } from '@aws-crypto/sha256-js';
import { defaultChainCredentials, memoizeCredentials, type AwsCredentials } from './credentials.js';
import { mapBounded } from './embed.js';
import { NodeSha256 } from './sign.js';

const MIN = 60_000;

function counter(expiresInMs: number | undefined, clock: { t: number }): { load: () => Promise<AwsCredentials>; calls: () => number; fail: (on: boolean) => void } {
  let calls = 0;
  let failing = false;
  return {
    load: () => {
      calls += 1;
      if (failing) return Promise.reject(new Error('IMDS unreachable'));
      const creds: AwsCredentials = { accessKeyId: `AKID${calls}`, secretAccessKey: 's' };
      if (expiresInMs !== undefined) creds.expiration = new Date(clock.t + expiresInMs);
      return Promise.resolve(creds);
    },
    calls: () => calls,
    fail: (on) => {
      failing = on;
    },
  };
}

describe('memoizeCredentials', () => {
  it('loads long-lived credentials once', async () => {
    const clock = { t: 0 };
    const src = counter(undefined, clock);
    const get = memoizeCredentials(src.load, () => clock.t);
    await get();
    clock.t += 24 * 60 * MIN;
    expect((await get()).accessKeyId).toBe('AKID1');
    expect(src.calls()).toBe(1);
  });

  it('refreshes temporary credentials five minutes before they expire, one reload for concurrent callers', async () => {
    const clock = { t: 0 };
    const src = counter(60 * MIN, clock);
    const get = memoizeCredentials(src.load, () => clock.t);
    expect((await get()).accessKeyId).toBe('AKID1');
    clock.t = 54 * MIN;
    expect((await get()).accessKeyId).toBe('AKID1');
    clock.t = 56 * MIN;
    const [a, b] = await Promise.all([get(), get()]);
    expect([a.accessKeyId, b.accessKeyId]).toEqual(['AKID2', 'AKID2']);
    expect(src.calls()).toBe(2);
  });

  it('keeps still-valid credentials when a refresh fails, and fails once they expired', async () => {
    const clock = { t: 0 };
    const src = counter(60 * MIN, clock);
    const get = memoizeCredentials(src.load, () => clock.t);
    await get();
    src.fail(true);
    clock.t = 57 * MIN;
    expect((await get()).accessKeyId).toBe('AKID1');
    clock.t = 61 * MIN;
    await expect(get()).rejects.toThrow('IMDS unreachable');
    src.fail(false);
    expect((await get()).accessKeyId).toBe('AKID4');
  });
});

describe('defaultChainCredentials', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('reads the environment first, lazily', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDFROMENV');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret-from-env');
    vi.stubEnv('AWS_SESSION_TOKEN', 'token-from-env');
    const creds = await defaultChainCredentials(undefined)();
    expect(creds).toMatchObject({ accessKeyId: 'AKIDFROMENV', secretAccessKey: 'secret-from-env', sessionToken: 'token-from-env' });
  });
});

describe('NodeSha256', () => {
  it('hashes and HMACs exactly like @aws-crypto/sha256-js', async () => {
    for (const secret of [undefined, 'key', new Uint8Array([1, 2, 3])]) {
      const a = new NodeSha256(secret);
      const b = new Sha256(secret);
      for (const part of ['hello ', new TextEncoder().encode('world'), new Uint8Array([0, 255]).buffer]) {
        a.update(part);
        b.update(part);
      }
      expect(Buffer.from(await a.digest()).toString('hex')).toBe(Buffer.from(await b.digest()).toString('hex'));
    }
  });
});

describe('mapBounded', () => {
  it('keeps order and never runs more than the limit at once', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapBounded(
      [1, 2, 3, 4, 5, 6, 7],
      3,
      async (n) => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setImmediate(r));
        inFlight -= 1;
        return n * 10;
      },
      () => undefined,
    );
    expect(out).toEqual([10, 20, 30, 40, 50, 60, 70]);
    expect(peak).toBe(3);
  });

  it('stops starting items after the first failure, aborts the rest and throws that failure', async () => {
    const started: number[] = [];
    let aborted = 0;
    const run = mapBounded(
      [1, 2, 3, 4, 5, 6],
      2,
      async (n) => {
        started.push(n);
        await new Promise((r) => setImmediate(r));
        if (n === 2) throw new Error('two failed');
        if (aborted > 0) throw new Error('aborted');
        return n;
      },
      () => {
        aborted += 1;
      },
    );
    await expect(run).rejects.toThrow('two failed');
    expect(aborted).toBe(1);
    expect(started.length).toBeLessThan(6);
  });
});
