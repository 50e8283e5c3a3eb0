import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post as call, startKeysServer, type KeysServer } from './testing/keys-server.js';

const ADMIN = 'sk-admin-for-key-budgets';

const chat = (url: string, key: string) => call(url, '/v1/chat/completions', key, { model: 'chat', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 16 });

describe('a virtual key with its own budget, through the server', () => {
  let server: KeysServer;

  beforeAll(async () => {
    server = await startKeysServer(ADMIN);
  });

  afterAll(async () => {
    await server.close();
  });

  it('refuses a key with 429 budget_exceeded once it spent its tiny hard budget, and leaves another key alone', async () => {
    const created = await call(server.url, '/v1/switchyard/keys', ADMIN, { owner: 'bo', budgets: [{ period: 'daily', hard_usd: 0.000001 }] });
    expect(created.status).toBe(201);
    const key = created.json.key as string;
    const id = created.json.id as string;
    const other = await call(server.url, '/v1/switchyard/keys', ADMIN, { owner: 'al', budgets: [{ period: 'daily', hard_usd: 1 }] });

    // Under the limit when admitted; its real cost then takes the key past it.
    expect((await chat(server.url, key)).status).toBe(200);
    const refused = await chat(server.url, key);
    expect(refused.status).toBe(429);
    expect(refused.json).toMatchObject({ error: { type: 'insufficient_quota' } });
    expect((refused.json.error as { message: string }).message).toContain(`"key:${id}:daily" (daily, key=${id})`);

    for (let i = 0; i < 2; i++) expect((await chat(server.url, other.json.key as string)).status).toBe(200);
    expect((await chat(server.url, ADMIN)).status).toBe(200);
  });
});
