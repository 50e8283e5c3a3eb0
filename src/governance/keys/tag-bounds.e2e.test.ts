import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, startKeysServer, type KeysServer } from './testing/keys-server.js';

const ADMIN = 'sk-admin-for-tag-bounds';

/** Every ledger row of a key copies its tags: the admin API bounds them where they enter. */
describe('POST /v1/switchyard/keys with oversized tags or metadata, through the server', () => {
  let server: KeysServer;
  beforeAll(async () => {
    server = await startKeysServer(ADMIN);
  });
  afterAll(async () => server.close());

  it('answers 400 invalid_key_policy naming the parameter, quotes none of the value, and creates no key', async () => {
    const big = await post(server.url, '/v1/switchyard/keys', ADMIN, { owner: 'big', tags: { project: 'P'.repeat(1_000_000) } });
    expect(big.status).toBe(400);
    expect(big.json).toEqual({
      error: {
        message: "Invalid key field 'tags.project': a tag value is at most 256 characters (this has 1000000): every ledger row of the key copies it.",
        type: 'invalid_request_error',
        param: 'tags.project',
        code: 'invalid_key_policy',
      },
    });
    const metadata = await post(server.url, '/v1/switchyard/keys', ADMIN, { metadata: { notes: 'n'.repeat(10_000) } });
    expect([metadata.status, (metadata.json.error as { param?: string }).param]).toEqual([400, 'metadata']);
    const listed = await fetch(`${server.url}/v1/switchyard/keys`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(((await listed.json()) as { data: unknown[] }).data).toEqual([]);
  });

  it('answers 400 to a team holding control characters, as it would to such a tag value: it is every request\'s team tag', async () => {
    const forged = await post(server.url, '/v1/switchyard/keys', ADMIN, { team: 'search\r\nadmin' });
    expect(forged.status).toBe(400);
    expect(forged.json).toEqual({
      error: {
        message: "Invalid key field 'team': it is the key's team tag, and a tag value must not hold control characters (U+000D at 6): reports, spreadsheets and terminals show it.",
        type: 'invalid_request_error',
        param: 'team',
        code: 'invalid_key_policy',
      },
    });
    const listed = await fetch(`${server.url}/v1/switchyard/keys`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(((await listed.json()) as { data: unknown[] }).data).toEqual([]);
  });
});
