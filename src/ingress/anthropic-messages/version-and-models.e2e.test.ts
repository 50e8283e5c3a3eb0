import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { request } from 'undici';
import { parseConfig } from '../../config/load.js';
import { createGateway } from '../../gateway/gateway.js';
import { startServer, type RunningServer } from '../../adapters/node/server.js';
import { startAnthropicSim } from '../../sim/anthropic/index.js';
import type { SimServer } from '../../sim/server.js';

/*
 * Two things Anthropic's API does that the door must do alike, through the real server: it refuses a
 * request whose `anthropic-version` it does not know, or that has none, and its Models API answers in
 * its own shape, which the official SDK pages through. The models listed are the calling key's, the
 * same ones the OpenAI shape lists.
 */

const KEY = 'sk-version-models';
const NARROW = 'sk-version-models-narrow';
const HI = { model: 'claude', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] };
const REQUEST_ID = expect.stringMatching(/^req_[0-9a-f]{32}$/);
const GROUPS = ['claude', 'haiku', 'opus', 'sonnet', 'fable'];

describe("the Messages door's anthropic-version and the Anthropic Models API", () => {
  let sim: SimServer;
  let server: RunningServer;

  const call = async (method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; headers: Record<string, unknown>; json: unknown }> => {
    const res = await request(`${server.url}${path}`, {
      method,
      headers: { 'x-api-key': KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.statusCode, headers: res.headers, json: await res.body.json() };
  };

  beforeAll(async () => {
    sim = await startAnthropicSim({ apiKey: 'sk-ant' });
    const parsed = parseConfig({
      api_keys: [
        { id: 'all', key: KEY },
        { id: 'narrow', key: NARROW, groups: ['haiku', 'sonnet'] },
      ],
      routing: { max_attempts_per_deployment: 1 },
      deployments: [{ id: 'anthropic', provider: 'anthropic', model: 'claude-sonnet-4-6', endpoint: sim.url, api_key: 'sk-ant' }],
      groups: GROUPS.map((name) => ({ name, deployments: ['anthropic'] })),
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    server = await startServer(createGateway(parsed.config), { port: 0 });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await sim.close();
  });

  describe('anthropic-version', () => {
    it.each(['2023-06-01', '2023-01-01', '2026-10-21', '2027-03-01'])('takes the documented version %s (or one newer than this build knows) and echoes it', async (version) => {
      for (const path of ['/v1/messages', '/v1/messages/count_tokens']) {
        const body = path === '/v1/messages' ? HI : { model: 'claude', messages: HI.messages };
        const res = await call('POST', path, { 'anthropic-version': version }, body);
        expect([path, res.status, res.headers['anthropic-version']]).toEqual([path, 200, version]);
      }
    });

    it('refuses an unknown version with 400 invalid_request_error, in the API\'s words, before any upstream call, and echoes nothing', async () => {
      const before = sim.stats.total;
      for (const path of ['/v1/messages', '/v1/messages/count_tokens']) {
        for (const [version, message] of [
          ['1999-01-01', 'anthropic-version: "1999-01-01" is not a valid version'],
          // A date between documented versions is none.
          ['2024-01-01', 'anthropic-version: "2024-01-01" is not a valid version'],
          ['2027-02-30', 'anthropic-version: "2027-02-30" is not a valid version'],
          ['2027-13-45', 'anthropic-version: "2027-13-45" is not a valid version'],
          ['2023-06-01, 2023-06-01', 'anthropic-version: "2023-06-01, 2023-06-01" is not a valid version'],
          ['x'.repeat(100), 'anthropic-version: not a valid version'],
        ] as const) {
          const res = await call('POST', path, { 'anthropic-version': version }, HI);
          expect([res.status, res.json]).toEqual([400, { type: 'error', error: { type: 'invalid_request_error', message }, request_id: REQUEST_ID }]);
          expect(res.headers).not.toHaveProperty('anthropic-version');
        }
      }
      expect(sim.stats.total).toBe(before);
    });

    it('takes a request without the header (the API refuses one; every SDK sends it, and hand-written clients that left it out kept working), echoing no version', async () => {
      const { max_tokens: _, ...counted } = HI;
      for (const [path, body] of [['/v1/messages', HI], ['/v1/messages/count_tokens', counted]] as const) {
        const res = await call('POST', path, {}, body);
        expect(res.status).toBe(200);
        expect(res.headers).not.toHaveProperty('anthropic-version');
      }
    });

    it('is what the official SDK sends, so its calls pass', async () => {
      const client = new Anthropic({ baseURL: server.url, apiKey: KEY, maxRetries: 0 });
      await expect(client.messages.create({ model: 'claude', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] })).resolves.toMatchObject({ type: 'message' });
      const pinned = new Anthropic({ baseURL: server.url, apiKey: KEY, maxRetries: 0, defaultHeaders: { 'anthropic-version': '2023-06-01' } });
      await expect(pinned.messages.countTokens({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] })).resolves.toMatchObject({ input_tokens: expect.any(Number) });
    });
  });

  describe('GET /v1/models for an Anthropic client', () => {
    const anthropic = (key = KEY): Anthropic => new Anthropic({ baseURL: server.url, apiKey: key, maxRetries: 0 });
    const openai = (key = KEY): OpenAI => new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0 });

    it("lists the key's models in Anthropic's ModelInfo shape, the same ones and order as the OpenAI shape", async () => {
      for (const key of [KEY, NARROW]) {
        const listed: Anthropic.ModelInfo[] = [];
        for await (const m of anthropic(key).models.list()) listed.push(m);
        const theirs: string[] = [];
        for await (const m of openai(key).models.list()) theirs.push(m.id);
        expect(listed.map((m) => m.id)).toEqual(theirs);
        expect(theirs.length).toBeGreaterThan(0);
        for (const m of listed) {
          expect(m).toEqual({ type: 'model', id: m.id, display_name: m.id, created_at: '1970-01-01T00:00:00Z', capabilities: null, deprecated_at: null, lifecycle: 'active', line: null, max_input_tokens: null, max_tokens: null, retires_at: null });
        }
      }
      const narrow: string[] = [];
      for await (const m of anthropic(NARROW).models.list()) narrow.push(m.id);
      expect(narrow.sort()).toEqual(['haiku', 'sonnet']);
    });

    it('pages with limit, after_id and before_id as the SDK walks them: has_more, first_id, last_id', async () => {
      const ids: string[] = [];
      for await (const m of openai().models.list()) ids.push(m.id);
      const first = await call('GET', '/v1/models?limit=2', { 'anthropic-version': '2023-06-01' });
      expect(first.status).toBe(200);
      expect(first.json).toMatchObject({ has_more: true, first_id: ids[0], last_id: ids[1] });
      expect((first.json as { data: unknown[] }).data).toHaveLength(2);
      // The SDK follows last_id with after_id, page by page, until has_more is false.
      const paged: string[] = [];
      for await (const m of anthropic().models.list({ limit: 2 })) paged.push(m.id);
      expect(paged).toEqual(ids);
      const page = await anthropic().models.list({ limit: 2, after_id: ids[1] as string });
      expect(page.data.map((m) => m.id)).toEqual(ids.slice(2, 4));
      expect(page.has_more).toBe(ids.length > 4);
      // before_id: the page just before it, walked backwards by first_id.
      const last = ids.at(-1) as string;
      const back = await call('GET', `/v1/models?limit=2&before_id=${last}`, { 'anthropic-version': '2026-10-21' });
      expect(back.json).toMatchObject({ data: ids.slice(-3, -1).map((id) => ({ id })), has_more: ids.length > 3, first_id: ids.at(-3), last_id: ids.at(-2) });
      const backwards: string[] = [];
      for await (const m of anthropic().models.list({ limit: 2, before_id: last })) backwards.push(m.id);
      expect(backwards.sort()).toEqual(ids.slice(0, -1).sort());
      const end = await call('GET', `/v1/models?after_id=${last}`, { 'anthropic-version': '2023-06-01' });
      expect(end.json).toEqual({ data: [], has_more: false, first_id: null, last_id: null });
    });

    it('lists nothing for a lifecycle filter without active models, as none of its models is deprecated or retired', async () => {
      const retired = await anthropic().models.list({ lifecycle: ['retired'] });
      expect(retired.data).toEqual([]);
      const active = await anthropic().models.list({ lifecycle: ['active', 'retired'] });
      expect(active.data.length).toBeGreaterThan(0);
    });

    it('retrieves one model as ModelInfo, and answers any other id with Anthropic\'s 404 not_found_error', async () => {
      await expect(anthropic().models.retrieve('sonnet')).resolves.toMatchObject({ type: 'model', id: 'sonnet', display_name: 'sonnet', created_at: '1970-01-01T00:00:00Z' });
      const missing = await anthropic(NARROW).models.retrieve('opus').catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
      expect((missing as InstanceType<typeof Anthropic.NotFoundError>).error).toEqual({ type: 'error', error: { type: 'not_found_error', message: 'model: opus' }, request_id: REQUEST_ID });
      expect((missing as InstanceType<typeof Anthropic.NotFoundError>).requestID).toMatch(/^req_[0-9a-f]{32}$/);
      // The OpenAI SDK, which sends no anthropic-version, still gets OpenAI's shapes.
      await expect(openai().models.retrieve('sonnet')).resolves.toEqual({ id: 'sonnet', object: 'model', created: 0, owned_by: 'switchyard' });
      const theirs = await openai(NARROW).models.retrieve('opus').catch((e: unknown) => e);
      expect((theirs as InstanceType<typeof OpenAI.NotFoundError>).error).toMatchObject({ type: 'invalid_request_error', code: 'model_not_found' });
    });

    it('refuses a wrong or missing key with 401 authentication_error in Anthropic\'s shape, as the Messages route does, and the SDK raises AuthenticationError', async () => {
      for (const call of [(c: Anthropic) => c.models.list(), (c: Anthropic) => c.models.retrieve('sonnet')]) {
        const err = await call(anthropic('sk-wrong')).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
        const refused = err as InstanceType<typeof Anthropic.AuthenticationError>;
        expect(refused.error).toEqual({ type: 'error', error: { type: 'authentication_error', message: expect.any(String) }, request_id: REQUEST_ID });
        expect(refused.requestID).toBe((refused.error as { request_id: string }).request_id);
        expect(refused.headers?.get('x-should-retry')).toBe('false');
      }
      for (const version of ['2023-06-01', '2026-10-21']) {
        const res = await call('GET', '/v1/models', { 'x-api-key': '', 'anthropic-version': version });
        expect([res.status, res.json]).toEqual([401, { type: 'error', error: { type: 'authentication_error', message: expect.any(String) }, request_id: REQUEST_ID }]);
      }
      // The OpenAI SDK, which sends no anthropic-version, still gets OpenAI's 401.
      const theirs = await openai('sk-wrong').models.list().catch((e: unknown) => e);
      expect(theirs).toBeInstanceOf(OpenAI.AuthenticationError);
      expect((theirs as InstanceType<typeof OpenAI.AuthenticationError>).error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key', param: null });
    });

    it('refuses a method the Models routes do not take with a 405 in Anthropic\'s shape, naming the route and what it allows', async () => {
      for (const path of ['/v1/models', '/v1/models/sonnet', '/models']) {
        const res = await call('POST', path, { 'anthropic-version': '2023-06-01' }, {});
        expect([path, res.status, res.json]).toEqual([path, 405, { type: 'error', error: { type: 'invalid_request_error', message: expect.stringMatching(/^Method POST is not allowed on \/(v1\/)?models/) }, request_id: REQUEST_ID }]);
        expect(res.headers).toMatchObject({ allow: 'GET, HEAD', 'request-id': expect.stringMatching(/^req_/) });
      }
      const theirs = await call('POST', '/v1/models', {}, {});
      expect([theirs.status, theirs.json]).toEqual([405, { error: expect.objectContaining({ type: 'invalid_request_error', code: 'method_not_allowed' }) }]);
    });

    it('refuses a bad page request, or an unknown version, with a 400 in Anthropic\'s shape', async () => {
      const v = { 'anthropic-version': '2023-06-01' };
      for (const [query, message] of [
        ['limit=0', 'limit: Input should be greater than or equal to 1'],
        ['limit=1001', 'limit: Input should be less than or equal to 1000'],
        ['limit=ten', 'limit: Input should be a valid integer, unable to parse string as an integer'],
        ['after_id=nope', "after_id: no model 'nope' in this list"],
        ['after_id=claude&before_id=haiku', 'after_id and before_id cannot both be given'],
      ] as const) {
        const res = await call('GET', `/v1/models?${query}`, v);
        expect([query, res.status, res.json]).toEqual([query, 400, { type: 'error', error: { type: 'invalid_request_error', message }, request_id: REQUEST_ID }]);
      }
      for (const path of ['/v1/models', '/v1/models/claude']) {
        const res = await call('GET', path, { 'anthropic-version': '1999-01-01' });
        expect([res.status, res.json]).toEqual([400, { type: 'error', error: { type: 'invalid_request_error', message: 'anthropic-version: "1999-01-01" is not a valid version' }, request_id: REQUEST_ID }]);
      }
    });
  });
});
