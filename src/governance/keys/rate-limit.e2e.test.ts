import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { post as call, startKeysServer, type KeysServer } from './testing/keys-server.js';

const ADMIN = 'sk-admin-for-key-limits';

const chat = (url: string, key: string) => call(url, '/v1/chat/completions', key, { model: 'chat', messages: [{ role: 'user', content: 'Hi' }] });

describe('a virtual key with its own rate limit, through the server', () => {
  let server: KeysServer;

  beforeAll(async () => {
    // Twenty seconds into a minute (the clock runs on from there), so the requests share one minute window.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.parse('2026-03-02T10:00:20Z'), shouldAdvanceTime: true });
    server = await startKeysServer(ADMIN);
  });

  afterAll(async () => {
    await server.close();
    vi.useRealTimers();
  });

  it('refuses the third request in a minute of a key created with requests_per_minute 2: 429 rate_limited with retry-after and x-ratelimit-* headers', async () => {
    const created = await call(server.url, '/v1/switchyard/keys', ADMIN, { owner: 'bo', rate_limits: { requests_per_minute: 2 } });
    expect(created.status).toBe(201);
    const key = created.json.key as string;
    const id = created.json.id as string;

    const first = await chat(server.url, key);
    expect(first.status).toBe(200);
    expect(first.headers).toMatchObject({ 'x-ratelimit-limit-requests': '2', 'x-ratelimit-remaining-requests': '1' });
    expect((await chat(server.url, key)).status).toBe(200);

    const third = await chat(server.url, key);
    expect(third.status).toBe(429);
    expect(third.json).toMatchObject({ error: { type: 'rate_limit_error', code: 'rate_limit_exceeded' } });
    expect((third.json.error as { message: string }).message).toContain(`"key:${id}"`);
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(30);
    expect(Number(third.headers['retry-after'])).toBeLessThanOrEqual(40);
    expect(third.headers).toMatchObject({ 'x-ratelimit-limit-requests': '2', 'x-ratelimit-remaining-requests': '0' });
    expect(third.headers['x-ratelimit-reset-requests']).toMatch(/^[34]\d(\.\d+)?s$/);

    // The admin key has no limit of its own: the virtual key's rule is that key's alone.
    for (let i = 0; i < 3; i++) expect((await chat(server.url, ADMIN)).status).toBe(200);
  });
});
