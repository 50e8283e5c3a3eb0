import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, startKeysServer, type KeysServer } from '../governance/keys/testing/keys-server.js';

const ADMIN = 'sk-admin-who-revokes';

/** Reads SSE frames until the stream ends or `limitMs` passes; how many came and whether it ended. */
async function readFeed(url: string, key: string, afterFirst: () => Promise<void>, limitMs: number): Promise<{ frames: number; ended: boolean }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), limitMs);
  const res = await request(`${url}/dashboard/events`, { headers: { authorization: `Bearer ${key}` }, signal: abort.signal });
  expect(res.statusCode).toBe(200);
  let frames = 0;
  try {
    for await (const chunk of res.body) {
      frames += String(chunk).split('\n\n').filter((f) => f.includes('data: ')).length;
      if (frames === 1) await afterFirst();
    }
    return { frames, ended: true };
  } catch {
    return { frames, ended: false };
  } finally {
    clearTimeout(timer);
  }
}

describe('the dashboard feed of a virtual admin key', () => {
  let server: KeysServer;

  beforeAll(async () => {
    server = await startKeysServer(ADMIN, { dashboard: { enabled: true, update_ms: 250 } });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('ends at its next frame once the key is revoked, and a reconnect is refused', async () => {
    const created = await post(server.url, '/v1/switchyard/keys', ADMIN, { role: 'admin' });
    expect(created.status).toBe(201);
    const { key, id } = created.json as { key: string; id: string };
    const feed = await readFeed(server.url, key, async () => void (await post(server.url, `/v1/switchyard/keys/${id}/revoke`, ADMIN, {})), 5_000);
    // Revocation reaches the key cache within `keys.refresh_ms` (200 ms); frames come every 250 ms.
    expect(feed.ended).toBe(true);
    const again = await request(`${server.url}/dashboard/events`, { headers: { authorization: `Bearer ${key}` } });
    expect(again.statusCode).toBe(401);
    await again.body.dump();
  });

  it('goes on for a key that stands', async () => {
    const created = await post(server.url, '/v1/switchyard/keys', ADMIN, { role: 'admin' });
    const { key } = created.json as { key: string };
    const feed = await readFeed(server.url, key, async () => undefined, 1_200);
    expect(feed.ended).toBe(false);
    expect(feed.frames).toBeGreaterThan(3);
  });
});
