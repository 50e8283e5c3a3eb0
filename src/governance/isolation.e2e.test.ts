import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { ADMIN_ROUTES } from '../ops/admin.js';
import { post, startKeysServer, type KeysServer } from './keys/testing/keys-server.js';

const ADMIN = 'sk-admin-of-a-shared-gateway';
/** Config keys: two of team red, one of team blue, one of no team. */
const RED = 'sk-red-one';
const RED_TOO = 'sk-red-two';
const BLUE = 'sk-blue';
const LONE = 'sk-lone';

async function get(url: string, path: string, key: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await request(`${url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
}

/** A Responses request continuing `id`. */
const continuing = (url: string, key: string, id: unknown) => post(url, '/v1/responses', key, { model: 'chat', input: 'And then?', previous_response_id: id });

/**
 * Many teams on one gateway, with config keys and virtual keys alike: what one key stores, caches and
 * spends is never another tenant's to read. A stored response is its key's own, a cached answer its
 * team's (or its key's, without a team), usage its key's, and every gateway-wide route an admin's.
 */
describe('tenant isolation on a shared gateway, through the server', () => {
  let server: KeysServer;
  /** Virtual keys: one of team red, one of team blue, one of no team. */
  const virtual: { red: string; blue: string; lone: string } = { red: '', blue: '', lone: '' };

  beforeAll(async () => {
    server = await startKeysServer(ADMIN, {
      groups: [{ name: 'chat', deployments: ['d0'], cache: { enabled: true, ttl_ms: 60_000, deterministic_only: false } }],
      responses: { store: { enabled: true } },
      api_keys: [
        { id: 'red', key: RED, team: 'red' },
        { id: 'red-too', key: RED_TOO, team: 'red' },
        { id: 'blue', key: BLUE, team: 'blue' },
        { id: 'lone', key: LONE },
      ],
    });
    for (const [name, team] of [['red', 'red'], ['blue', 'blue'], ['lone', undefined]] as const) {
      const created = await post(server.url, '/v1/switchyard/keys', ADMIN, team === undefined ? {} : { team });
      expect(created.status).toBe(201);
      virtual[name] = created.json.key as string;
    }
  });

  afterAll(async () => {
    await server.close();
  });

  it("answers another key's stored response, streamed or not, exactly as a missing one, whatever its team or kind of key; its own key continues it", async () => {
    const fromConfigKey = await post(server.url, '/v1/responses', RED, { model: 'chat', input: 'Red team secret' });
    const stream = await request(`${server.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${virtual.red}` }, body: JSON.stringify({ model: 'chat', input: 'Red team secret', stream: true }) });
    const streamedId = /"id":"(resp_[0-9a-f]+)"/.exec(await stream.body.text())?.[1];
    expect([fromConfigKey.status, stream.statusCode]).toEqual([200, 200]);
    expect(streamedId).toBeDefined();

    for (const [owner, id] of [[RED, fromConfigKey.json.id], [virtual.red, streamedId]] as const) {
      for (const other of [RED, RED_TOO, BLUE, LONE, ADMIN, virtual.red, virtual.blue, virtual.lone].filter((k) => k !== owner)) {
        const missing = await continuing(server.url, other, 'resp_00000000000000000000000000000000');
        const refused = await continuing(server.url, other, id);
        expect(refused.status).toBe(400);
        expect(JSON.stringify(refused.json)).toBe(JSON.stringify(missing.json).replace('resp_00000000000000000000000000000000', String(id)));
      }
      expect((await continuing(server.url, owner, id)).status).toBe(200);
    }
  });

  it('shares a cached answer within a team, config and virtual keys alike, and never across teams or with keys of no team', async () => {
    const ask = async (key: string): Promise<unknown> => {
      const res = await post(server.url, '/v1/chat/completions', key, { model: 'chat', temperature: 0, messages: [{ role: 'user', content: 'What did my team ask?' }] });
      expect(res.status).toBe(200);
      return res.headers['x-switchyard-cache'];
    };
    expect(await ask(RED)).toBe('miss');
    expect([await ask(RED_TOO), await ask(virtual.red)]).toEqual(['hit', 'hit']);
    expect([await ask(BLUE), await ask(virtual.blue)]).toEqual(['miss', 'hit']);
    expect([await ask(LONE), await ask(virtual.lone), await ask(ADMIN)]).toEqual(['miss', 'miss', 'miss']);
    expect([await ask(LONE), await ask(virtual.lone), await ask(ADMIN)]).toEqual(['hit', 'hit', 'hit']);
  });

  it("shows a user key its own key's usage only, whatever the query names; an admin sees every key's", async () => {
    for (const key of [RED, BLUE, virtual.blue]) {
      expect((await post(server.url, '/v1/chat/completions', key, { model: 'chat', messages: [{ role: 'user', content: `Spend a little, ${key}` }] })).status).toBe(200);
    }
    await server.app.flush(5_000);
    const everyone = await get(server.url, '/v1/switchyard/usage?group_by=key', ADMIN);
    const seen = (everyone.json.data as Array<{ keys: { key: string } }>).map((r) => r.keys.key);
    expect(seen).toEqual(expect.arrayContaining(['red', 'blue']));

    const blueVirtualId = seen.find((k) => virtual.blue.startsWith(`sy-${k}-`));
    expect(blueVirtualId).toBeDefined();
    for (const [key, own] of [[BLUE, 'blue'], [virtual.blue, blueVirtualId]] as const) {
      // A filter the route does not take is refused outright (400, nothing read), never applied or ignored.
      for (const query of ['group_by=key&key=red', 'group_by=key,team&team=red&filter=key:red']) {
        const refused = await get(server.url, `/v1/switchyard/usage?${query}`, key);
        expect([refused.status, (refused.json.error as { code?: string } | undefined)?.code]).toEqual([400, 'invalid_usage_query']);
      }
      for (const query of ['group_by=key,team', 'group_by=tag:key,user']) {
        const usage = await get(server.url, `/v1/switchyard/usage?${query}`, key);
        expect(usage.status).toBe(200);
        const rows = usage.json.data as Array<{ keys: Record<string, string | null> }>;
        expect(rows.length).toBeGreaterThan(0);
        for (const row of rows) expect(row.keys.key ?? row.keys['tag:key']).toBe(own);
      }
    }
  });

  it('refuses a user key, config or virtual, every gateway-wide route with 403 admin_required, and does nothing', async () => {
    const routes: Array<readonly ['GET' | 'POST', string]> = [
      ...ADMIN_ROUTES.map((r) => [r.method, r.path.replace('{id}', 'd0')] as const),
      ['GET', '/v1/switchyard/keys'],
      ['POST', '/v1/switchyard/keys'],
      ['POST', '/v1/switchyard/keys/000000000000/revoke'],
      ['POST', '/v1/switchyard/keys/000000000000/rotate'],
      ['GET', '/v1/switchyard/status'],
      ['GET', '/dashboard/events'],
      ['GET', '/metrics'],
    ];
    for (const key of [BLUE, virtual.blue]) {
      for (const [method, path] of routes) {
        const res = await request(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
        const body = (await res.body.json()) as { error: { code: string } };
        expect([method, path, res.statusCode, body.error.code]).toEqual([method, path, 403, 'admin_required']);
      }
    }
    const status = await get(server.url, '/v1/switchyard/status', ADMIN);
    expect(JSON.stringify(status.json)).not.toMatch(/"drained":true/);
    const listed = await get(server.url, '/v1/switchyard/keys', ADMIN);
    expect(listed.json.data).toHaveLength(3);
  });
});
