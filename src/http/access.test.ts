import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { parseConfig } from '../config/load.js';
import { createGateway } from '../gateway/gateway.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';
import { startServer, type RunningServer } from '../adapters/node/server.js';
import { statusRoute } from './status-route.js';

interface Answer {
  status: number;
  json: { error?: { type: string; code: string; param: string | null }; data?: Array<{ id: string }> };
}

describe('API keys, groups and direct deployments through the server', () => {
  let sim: SimServer;
  let server: RunningServer;

  beforeAll(async () => {
    sim = await startOpenAISim();
    const endpoint = `${sim.url}/v1`;
    const parsed = parseConfig(
      {
        routing: { max_attempts_per_deployment: 1 },
        deployments: [
          { id: 'sim-a', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint },
          { id: 'sim-b', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint },
        ],
        groups: [
          { name: 'chat', aliases: ['gpt-4o-mini'], deployments: ['sim-a'] },
          { name: 'other', deployments: ['sim-b'] },
        ],
        api_keys: [
          { id: 'user', key: 'sk-user', groups: ['chat'] },
          { id: 'admin', key: 'sk-admin', role: 'admin' },
          { id: 'direct', key: 'sk-direct', models: ['sim-a'], allow_direct_deployments: true },
          { id: 'scraper', key: 'sk-scraper', role: 'metrics' },
        ],
      },
      {},
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    server = await startServer(createGateway(parsed.config), { port: 0, routes: [statusRoute] });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await sim.close();
  });

  async function call(key: string | undefined, path: string, body?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Answer> {
    const auth: Record<string, string> = key === undefined ? {} : { authorization: `Bearer ${key}` };
    const res = await request(`${server.url}${path}`, {
      method: body ? 'POST' : 'GET',
      body: body ? JSON.stringify(body) : undefined,
      headers: { 'content-type': 'application/json', ...auth, ...headers },
    });
    return { status: res.statusCode, json: (await res.body.json()) as Answer['json'] };
  }
  const chat = (key: string, model: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    call(key, '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'Hi' }], ...extra }, headers);

  it('answers a missing or unknown key with 401 invalid_request_error, code invalid_api_key (what OpenAI answers)', async () => {
    for (const key of [undefined, 'sk-nope']) {
      const r = await call(key, '/v1/models');
      expect(r.status).toBe(401);
      expect(r.json.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key' });
    }
  });

  it("refuses a key what its groups do not allow with 403 permission_error, whether named as model, header or body hint", async () => {
    expect((await chat('sk-user', 'gpt-4o-mini')).status).toBe(200);
    const refused = await chat('sk-user', 'other');
    expect(refused.status).toBe(403);
    expect(refused.json.error).toMatchObject({ type: 'permission_error', code: 'model_not_allowed', param: 'model' });
    expect((await chat('sk-user', 'sim-b')).json.error).toMatchObject({ type: 'permission_error', code: 'direct_deployment_disabled' });
    expect((await chat('sk-user', 'sim-a')).status).toBe(403);
    expect((await chat('sk-user', 'other', {}, { 'x-switchyard-deployment': 'sim-b' })).status).toBe(403);
    // A pin must be a member of the group asked for: it never reaches another group's deployment.
    // The refusal names where the pin came from: the header, or the body's hint.
    expect((await chat('sk-user', 'chat', {}, { 'x-switchyard-deployment': 'sim-b' })).json.error).toMatchObject({ code: 'invalid_deployment_override', param: 'x-switchyard-deployment' });
    expect((await chat('sk-user', 'chat', { switchyard: { deployment: 'sim-b' } })).json.error).toMatchObject({ code: 'invalid_deployment_override', param: 'switchyard.deployment' });
  });

  it('serves a deployment by its id only to a key allowed to name it', async () => {
    const r = await request(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'sim-a', messages: [{ role: 'user', content: 'Hi' }] }),
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-direct' },
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers['x-switchyard-deployment']).toBe('sim-a');
    await r.body.dump();
    expect((await chat('sk-direct', 'sim-b')).json.error?.code).toBe('model_not_allowed');
    expect((await chat('sk-direct', 'chat')).status).toBe(403);
    expect((await chat('sk-admin', 'sim-a')).json.error?.code).toBe('direct_deployment_disabled');
  });

  it('lists only the models the calling key may use', async () => {
    const ids = async (key: string) => ((await call(key, '/v1/models')).json.data ?? []).map((m) => m.id);
    expect(await ids('sk-user')).toEqual(['chat', 'gpt-4o-mini']);
    expect(await ids('sk-direct')).toEqual(['sim-a']);
    expect(await ids('sk-admin')).toEqual(['chat', 'gpt-4o-mini', 'other']);
  });

  it('retrieves one model only when the calling key may use it: one it may not is as unknown as one that does not exist', async () => {
    expect((await call('sk-user', '/v1/models/chat')).json).toEqual({ id: 'chat', object: 'model', created: 0, owned_by: 'switchyard' });
    for (const name of ['other', 'no-such-model', 'sim-a']) {
      const refused = await call('sk-user', `/v1/models/${name}`);
      expect([name, refused.status, refused.json.error]).toMatchObject([name, 404, { type: 'invalid_request_error', code: 'model_not_found', param: 'model' }]);
    }
    expect((await call('sk-admin', '/models/other')).status).toBe(200);
  });

  it('shows gateway-wide status to admin keys only', async () => {
    const refused = await call('sk-user', '/v1/switchyard/status');
    expect(refused.status).toBe(403);
    expect(refused.json.error).toMatchObject({ type: 'permission_error', code: 'admin_required' });
    expect((await call('sk-admin', '/v1/switchyard/status')).status).toBe(200);
  });

  it('refuses a role: metrics key on every route but GET /metrics with 403 permission_error, in each front door\'s shape', async () => {
    for (const path of ['/v1/models', '/v1/switchyard/status']) {
      const refused = await call('sk-scraper', path);
      expect(refused.status, path).toBe(403);
      expect(refused.json.error, path).toMatchObject({ type: 'permission_error', code: 'metrics_key_only' });
    }
    const chatRefused = await chat('sk-scraper', 'chat');
    expect(chatRefused.status).toBe(403);
    expect(chatRefused.json.error).toMatchObject({ type: 'permission_error', code: 'metrics_key_only' });
    const messages = await call('sk-scraper', '/v1/messages', { model: 'chat', max_tokens: 8, messages: [{ role: 'user', content: 'Hi' }] });
    expect(messages.status).toBe(403);
    expect(messages.json).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
  });
});
