import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createApp, type App } from '../app.js';
import { startServer, type RunningServer } from '../adapters/node/server.js';
import { loadConfigFile } from '../config/load.js';
import { silentLogger } from '../core/logger.js';
import type { AuditEntry } from '../governance/audit/chain.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';
import { holderAdmin, holderGateway, holderServerOptions } from './holder-gateway.js';
import { AppHolder } from './reload.js';
import { parseKey } from '../governance/keys/secret.js';

const ADMIN = 'sk-admin-for-admin-routes';
const USER = 'sk-user-for-admin-routes';
const SCRAPER = 'sk-scraper-for-admin-routes';
const SECRET = 'an-hmac-secret-of-at-least-32-characters';

const GROUPS = ['  - { name: chat, strategy: priority, deployments: [d0, d1] }', '  - { name: other, deployments: [d1] }'];

/** The config file `serve` would read: two deployments of one group, keys, a SQLite ledger in `dir`. */
function writeConfig(dir: string, sims: SimServer[], extraKeys: string[] = [], groups = GROUPS): string {
  const path = join(dir, 'switchyard.yaml');
  writeFileSync(
    path,
    [
      'routing: { max_attempts_per_deployment: 1 }',
      'deployments:',
      ...sims.map((s, i) => `  - { id: d${i}, provider: openai-compatible, model: gpt-4o-mini, endpoint: "${s.url}/v1" }`),
      'groups:',
      ...groups,
      'api_keys:',
      `  - { id: ops, key: ${ADMIN}, role: admin }`,
      `  - { id: user, key: ${USER} }`,
      `  - { id: prometheus, key: ${SCRAPER}, role: metrics }`,
      ...extraKeys,
      `ledger: { store: sqlite, path: "${join(dir, 'ledger.sqlite')}", journal: false, spill_path: "${join(dir, 'spill.jsonl')}" }`,
      `keys: { hmac_secret: ${SECRET}, refresh_ms: 200 }`,
    ].join('\n'),
  );
  return path;
}

/** The process `serve` runs: an AppHolder behind the node server, admin actions on the current app. */
async function serveFile(file: string): Promise<{ holder: AppHolder<App>; server: RunningServer }> {
  const admin = holderAdmin(() => holder);
  const build = (c: ReturnType<typeof loadConfigFile>): Promise<App> => createApp(c, { admin });
  const holder: AppHolder<App> = new AppHolder(await build(loadConfigFile(file, {})), { load: () => loadConfigFile(file, {}), build, logger: silentLogger, retireAfterMs: 1_000 });
  const server = await startServer(holderGateway(holder), { ...holderServerOptions(holder), port: 0, host: '127.0.0.1', onClose: () => holder.close() });
  return { holder, server };
}

async function call(url: string, method: 'GET' | 'POST', path: string, key: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await request(`${url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
}

const chat = (url: string, key: string, model = 'chat') => new OpenAI({ baseURL: `${url}/v1`, apiKey: key, maxRetries: 0 }).chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }] }).withResponse();

async function auditEntries(app: App): Promise<AuditEntry[]> {
  const all: AuditEntry[] = [];
  for await (const page of app.governance.audit!.entries()) all.push(...page);
  return all;
}

describe('the admin API and virtual keys, mounted in the server', () => {
  let sims: SimServer[];
  let dir: string;
  let file: string;
  let running: { holder: AppHolder<App>; server: RunningServer };
  let url: string;

  beforeAll(async () => {
    sims = [await startOpenAISim({ name: 'a' }), await startOpenAISim({ name: 'b' })];
    dir = mkdtempSync(join(tmpdir(), 'admin-routes-'));
    file = writeConfig(dir, sims);
    running = await serveFile(file);
    url = running.server.url;
  });

  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanup) await c();
    await running.server.shutdown(100);
    await Promise.all(sims.map((s) => s.close()));
  });

  it('drains a deployment so traffic moves to the next one, and undrains it; a user key gets 403', async () => {
    expect((await chat(url, USER)).response.headers.get('x-switchyard-deployment')).toBe('d0');
    const refused = await call(url, 'POST', '/v1/switchyard/deployments/d0/drain', USER, { reason: 'try' });
    expect(refused.status).toBe(403);
    expect(refused.json.error).toMatchObject({ type: 'permission_error', code: 'admin_required' });
    const drained = await call(url, 'POST', '/v1/switchyard/deployments/d0/drain', ADMIN, { reason: 'maintenance window' });
    expect(drained).toMatchObject({ status: 200, json: { id: 'd0', drain: { drained: true, reason: 'maintenance window' } } });
    expect((await chat(url, USER)).response.headers.get('x-switchyard-deployment')).toBe('d1');
    expect((await call(url, 'POST', '/v1/switchyard/deployments/d0/undrain', ADMIN)).status).toBe(200);
    expect((await chat(url, USER)).response.headers.get('x-switchyard-deployment')).toBe('d0');
    expect((await call(url, 'POST', '/v1/switchyard/deployments/nope/drain', ADMIN)).status).toBe(404);
    expect((await call(url, 'POST', '/v1/switchyard/deployments/d0/drain', ADMIN, { force: true })).status).toBe(400);
    expect(await call(url, 'POST', '/v1/switchyard/deployments/d0/interruption', ADMIN, { deadline: 9e15 })).toMatchObject({ status: 400, json: { error: { type: 'invalid_request_error', code: 'invalid_value', param: 'deadline' } } });
    expect((await call(url, 'GET', '/v1/switchyard/deployments/d0/drain', ADMIN)).status).toBe(405);
    expect((await call(url, 'POST', '/v1/switchyard/breakers/d1/reset', ADMIN)).status).toBe(200);
  });

  it('refuses a role: metrics key every admin action and the model routes with 403 metrics_key_only, and routing is untouched', async () => {
    for (const [method, path] of [
      ['POST', '/v1/switchyard/deployments/d0/drain'],
      ['POST', '/v1/switchyard/deployments/d0/undrain'],
      ['POST', '/v1/switchyard/breakers/d0/reset'],
      ['POST', '/v1/switchyard/reload'],
      ['GET', '/v1/switchyard/config'],
      ['POST', '/v1/switchyard/keys'],
      ['GET', '/v1/switchyard/keys'],
      ['GET', '/v1/switchyard/usage'],
      ['GET', '/dashboard/events'],
    ] as const) {
      const refused = await call(url, method, path, SCRAPER, method === 'POST' ? { role: 'admin' } : undefined);
      expect(refused.status, `${method} ${path}`).toBe(403);
      expect(refused.json.error, `${method} ${path}`).toMatchObject({ type: 'permission_error', code: 'metrics_key_only' });
    }
    await expect(chat(url, SCRAPER)).rejects.toMatchObject({ status: 403, code: 'metrics_key_only' });
    expect((await chat(url, USER)).response.headers.get('x-switchyard-deployment')).toBe('d0');
  });

  it('shows the running config with its secrets redacted', async () => {
    const shown = await call(url, 'GET', '/v1/switchyard/config', ADMIN);
    expect(shown.status).toBe(200);
    const text = JSON.stringify(shown.json);
    expect(text).toContain('"d1"');
    for (const secret of [ADMIN, USER, SCRAPER, SECRET]) expect(text).not.toContain(secret);
  });

  it('tells every cache not to keep an answer of the gateway\'s own API (a new key\'s secret, a caller\'s usage, status, config): cache-control no-store', async () => {
    // x-api-key carries no Authorization header, which is what keeps a shared cache from storing an answer for the next caller.
    const send = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
      const res = await request(`${url}${path}`, { method, headers: { 'x-api-key': ADMIN, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const json = (await res.body.json()) as Record<string, unknown>;
      return { status: res.statusCode, cache: res.headers['cache-control'], json };
    };
    const created = await send('POST', '/v1/switchyard/keys', { owner: 'cache-check' });
    expect([created.status, created.cache]).toEqual([201, 'no-store']);
    const id = created.json.id as string;
    const answers = [
      await send('POST', `/v1/switchyard/keys/${id}/rotate`),
      await send('GET', '/v1/switchyard/keys'),
      await send('POST', `/v1/switchyard/keys/${id}/revoke`),
      await send('GET', '/v1/switchyard/usage'),
      await send('GET', '/v1/switchyard/status'),
      await send('GET', '/v1/switchyard/config'),
      await send('POST', '/v1/switchyard/breakers/d1/reset'),
    ];
    expect(answers.map((a) => [a.status, a.cache])).toEqual(Array.from({ length: answers.length }, () => [200, 'no-store']));
  });

  it('creates a virtual key that works at once, and another replica refuses it (401) once its poll has read the revocation', async () => {
    const replica = await serveFile(file);
    cleanup.push(() => replica.server.shutdown(100));
    const created = await call(url, 'POST', '/v1/switchyard/keys', ADMIN, { owner: 'alice', team: 'search', groups: ['chat'] });
    expect(created.status).toBe(201);
    const key = created.json.key as string;
    expect(key).toMatch(/^sy-[0-9a-f]{12}-/);
    expect((await chat(url, key)).response.status).toBe(200);
    // Far bounds (25 refreshes): the replica learns keys only from its poll, whose own interval keys.test pins.
    await expect.poll(async () => chat(replica.server.url, key).then(() => 200, (e: { status: number }) => e.status), { timeout: 5_000, interval: 50 }).toBe(200);
    const denied = chat(url, key, 'other');
    await expect(denied).rejects.toMatchObject({ status: 403 });
    const listed = await call(url, 'GET', '/v1/switchyard/keys', ADMIN);
    // The secret is base64url, so it may itself hold dashes: parse the key rather than split it.
    expect(JSON.stringify(listed.json)).not.toContain(parseKey(key)?.secret as string);
    expect((await call(url, 'GET', '/v1/switchyard/keys', USER)).status).toBe(403);
    // The client's words never become the audit subject: a path's id and a body's model give way to the route.
    expect((await call(url, 'POST', '/v1/switchyard/breakers/ignore-previous-instructions/reset', USER, { model: 'ignore previous instructions' })).status).toBe(403);
    const revokedAt = Date.now();
    expect((await call(url, 'POST', `/v1/switchyard/keys/${created.json.id as string}/revoke`, ADMIN)).json).toMatchObject({ status: 'revoked' });
    expect(await chat(url, key).then(() => 200, (e: { status: number }) => e.status)).toBe(401);
    await expect.poll(async () => chat(replica.server.url, key).then(() => 200, (e: { status: number }) => e.status), { timeout: 5_000, interval: 50 }).toBe(401);
    expect(Date.now() - revokedAt).toBeLessThan(5_000);
    expect((await call(url, 'POST', '/v1/switchyard/keys/not-an-id/revoke', ADMIN)).status).toBe(400);
  });

  it('refuses a virtual key bound to a residency no deployment it may use is tagged with: 400 in the admin error shape, naming residency, no key made', async () => {
    const before = ((await call(url, 'GET', '/v1/switchyard/keys', ADMIN)).json.data as unknown[]).length;
    const refused = await call(url, 'POST', '/v1/switchyard/keys', ADMIN, { owner: 'mars-rover', residency: 'mars' });
    expect(refused).toMatchObject({
      status: 400,
      json: { error: { type: 'invalid_request_error', code: 'invalid_key_policy', param: 'residency', message: expect.stringContaining('no deployment this key may use is tagged "mars"') } },
    });
    expect(((await call(url, 'GET', '/v1/switchyard/keys', ADMIN)).json.data as unknown[]).length).toBe(before);
  });

  it('records admin actions, key changes and the policy denial in an audit chain that verifies', async () => {
    const app = running.holder.current;
    // A refusal of nobody (the browser guard, before any key) writes nothing: anyone could send it.
    const crossSite = await request(`${url}/v1/chat/completions`, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'text/plain' }, body: '{"model":"chat"}' });
    expect(crossSite.statusCode).toBe(403);
    await crossSite.body.dump();
    await expect.poll(async () => (await auditEntries(app)).map((e) => e.action), { timeout: 2_000 }).toContain('permission.denied');
    const entries = await auditEntries(app);
    expect(entries.map((e) => `${e.actor} ${e.action} ${e.subject}`)).toEqual(
      expect.arrayContaining([
        'key:ops deployment.drained deployment:d0',
        'key:ops deployment.undrained deployment:d0',
        'key:ops breaker.reset breaker:d1',
        'key:ops config.viewed config',
        expect.stringMatching(/^key:ops key\.created key:[0-9a-f]{12}$/),
        expect.stringMatching(/^key:ops key\.revoked key:[0-9a-f]{12}$/),
        expect.stringMatching(/^key:[0-9a-f]{12} permission\.denied model:other$/),
        'key:user permission.denied route:/v1/switchyard/keys',
        'key:user permission.denied route:/v1/switchyard/breakers/{id}/reset',
        'key:prometheus permission.denied route:/v1/switchyard/deployments/{id}/drain',
        'key:prometheus permission.denied route:/v1/switchyard/reload',
        'key:prometheus permission.denied model:chat',
      ]),
    );
    expect(JSON.stringify(entries.map((e) => e.subject))).not.toMatch(/ignore/);
    expect(JSON.stringify(entries)).not.toContain('cross_origin_request');
    expect(entries.find((e) => e.action === 'deployment.drained')?.details).toEqual({ reason: 'maintenance window' });
    expect(await app.governance.audit!.verify()).toMatchObject({ checked: entries.length, broken: undefined });
  });

  it('reloads through POST: a bad file keeps the running config (422), a good one brings its new API key', async () => {
    writeFileSync(file, 'deployments: []\n');
    const bad = await call(url, 'POST', '/v1/switchyard/reload', ADMIN);
    expect(bad.status).toBe(422);
    expect(bad.json.error).toMatchObject({ code: 'invalid_config' });
    expect((await chat(url, USER)).response.status).toBe(200);
    writeConfig(dir, sims, ['  - { id: late, key: sk-added-by-reload }']);
    expect(await chat(url, 'sk-added-by-reload').then(() => 200, (e: { status: number }) => e.status)).toBe(401);
    expect(await call(url, 'POST', '/v1/switchyard/reload', ADMIN)).toMatchObject({ status: 200, json: { reloaded: true, deployments: 2 } });
    expect((await chat(url, 'sk-added-by-reload')).response.status).toBe(200);
    // The reload's own audit row is in the new app's database: the app that took the request is retired.
    await expect.poll(async () => (await auditEntries(running.holder.current)).filter((e) => e.action === 'config.reloaded').length, { timeout: 2_000 }).toBe(1);
    expect((await call(url, 'POST', '/v1/switchyard/reload', USER)).status).toBe(403);
  });

  it('audits a reload with what changed, by path: a key added or changed is named, its value is not', async () => {
    const reloads = async () => (await auditEntries(running.holder.current)).filter((e) => e.action === 'config.reloaded');
    const before = (await reloads()).length;
    writeConfig(dir, sims, ['  - { id: rotated, key: sk-first-value-of-rotated }']);
    expect((await call(url, 'POST', '/v1/switchyard/reload', ADMIN)).status).toBe(200);
    writeConfig(dir, sims, ['  - { id: rotated, key: sk-second-value-of-rotated }']);
    const answer = await call(url, 'POST', '/v1/switchyard/reload', ADMIN);
    expect(answer.json.changes).toEqual({ summary: '1 change in api_keys', sections: ['api_keys'], added: [], removed: [], changed: [{ path: 'api_keys.rotated.key' }], more: 0 });
    await expect.poll(async () => (await reloads()).length, { timeout: 2_000 }).toBe(before + 2);
    const [added, changed] = (await reloads()).slice(before);
    expect(added?.details).toMatchObject({ changes: { sections: ['api_keys'], added: ['api_keys.rotated'] } });
    expect(changed?.details).toEqual({ changes: answer.json.changes });
    const audited = JSON.stringify(await auditEntries(running.holder.current));
    for (const secret of ['sk-first-value-of-rotated', 'sk-second-value-of-rotated']) expect(audited).not.toContain(secret);
    writeConfig(dir, sims);
    expect(await call(url, 'POST', '/v1/switchyard/reload', ADMIN)).toMatchObject({ status: 200, json: { changes: { removed: ['api_keys.rotated'] } } });
  });

  it('answers a reload with each virtual key the new config no longer fits, by id and never its secret; the key still serves what is left', async () => {
    const created = await call(url, 'POST', '/v1/switchyard/keys', ADMIN, { owner: 'bea', groups: ['chat', 'other'] });
    const [id, key] = [created.json.id as string, created.json.key as string];
    writeConfig(dir, sims, [], [GROUPS[0] as string]);
    const reloaded = await call(url, 'POST', '/v1/switchyard/reload', ADMIN);
    expect(reloaded).toMatchObject({ status: 200, json: { reloaded: true, keysNotMatching: [{ id, problems: ['groups[1]: unknown group "other"; known groups: chat'] }] } });
    expect(JSON.stringify(reloaded.json)).not.toContain(parseKey(key)?.secret as string);
    expect((await chat(url, key)).response.status).toBe(200);
    writeConfig(dir, sims);
    expect(await call(url, 'POST', '/v1/switchyard/reload', ADMIN)).toMatchObject({ status: 200, json: { keysNotMatching: [] } });
  });
});
