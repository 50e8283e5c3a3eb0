import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createApp, type App } from '../app.js';
import { resolveConfig } from '../config/load.js';
import { NEVER_CANCELLED } from '../core/cancel.js';
import type { Logger } from '../core/logger.js';
import { createHttpHandler } from '../http/handler.js';
import { DATABASE_URL, testSchema } from '../ledger/testing/fixtures.js';
import { TcpProxy } from '../ledger/testing/tcp-proxy.js';
import { startOpenAISim } from '../sim/openai/index.js';
import type { SimServer } from '../sim/server.js';

const ADMIN = 'sk-admin-for-ledger-down';

/** A logger that keeps the messages of each level (children share them). */
function recordingLogger(): Logger & { lines: Record<'warn' | 'error', string[]> } {
  const lines = { warn: [] as string[], error: [] as string[] };
  const logger = {
    lines,
    debug: () => undefined,
    info: () => undefined,
    warn: (_: object, msg?: string) => void lines.warn.push(msg ?? ''),
    error: (_: object, msg?: string) => void lines.error.push(msg ?? ''),
    child: () => logger,
  };
  return logger;
}

const PG_URL = DATABASE_URL;
if (PG_URL) {
  /**
   * Every route that queries the ledger's PostgreSQL database (virtual keys, stored responses, usage),
   * once the database went down after the gateway started: a 503 in the door's error shape with
   * retry-after and a warning, never a 500 logged as an internal error with a stack.
   */
  describe('ledger-backed routes while PostgreSQL is down', () => {
    const schema = testSchema('routes_down');
    const target = new URL(PG_URL);
    const proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const logger = recordingLogger();
    let sim: SimServer;
    let app: App;
    let handle: ReturnType<typeof createHttpHandler>;
    let keyId: string;
    let responseId: string;
    let down = false;

    const call = async (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) => {
      const answer = await handle({
        method,
        path,
        query: '',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: Buffer.from(body === undefined ? '' : JSON.stringify(body)),
        signal: NEVER_CANCELLED,
      });
      return { status: answer.status, headers: answer.headers, json: JSON.parse(String(answer.body)) as Record<string, { code?: string; type?: string; message?: string }> };
    };

    beforeAll(async () => {
      await proxy.start();
      const url = new URL(PG_URL);
      url.host = `127.0.0.1:${proxy.port}`;
      sim = await startOpenAISim({ name: 'oai', models: ['gpt-4o-mini'] });
      const config = resolveConfig({
        deployments: [{ id: 'oai', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1` }],
        groups: [{ name: 'chat', deployments: ['oai'] }],
        api_keys: [{ id: 'ops', key: ADMIN, role: 'admin' }],
        ledger: { store: 'postgres', url: url.toString(), schema, journal: false, retry_interval_ms: 60_000 },
        keys: { hmac_secret: 'an-hmac-secret-of-at-least-32-characters', refresh_ms: 1_000 },
        responses: { store: { enabled: true } },
      });
      app = await createApp(config, { logger });
      handle = createHttpHandler(app.gateway, app.handlerOptions);
      const created = await call('POST', '/v1/switchyard/keys', { owner: 'someone' });
      expect(created.status).toBe(201);
      keyId = String((created.json as unknown as { id: string }).id);
      const answered = await call('POST', '/v1/responses', { model: 'chat', input: 'Hi' });
      expect(answered.status).toBe(200);
      responseId = String((answered.json as unknown as { id: string }).id);
      await app.flush();
      await proxy.stop();
      down = true;
    });

    afterAll(async () => {
      if (down) await proxy.start();
      await app.close();
      await sim.close();
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await admin.end();
    });

    it.each([
      ['GET', '/v1/switchyard/keys', undefined, 'ledger_unavailable'],
      ['POST', '/v1/switchyard/keys', { owner: 'another' }, 'ledger_unavailable'],
      ['POST', '/v1/switchyard/keys/{id}/revoke', undefined, 'ledger_unavailable'],
      ['POST', '/v1/switchyard/keys/{id}/rotate', undefined, 'ledger_unavailable'],
      ['GET', '/v1/switchyard/usage', undefined, 'ledger_unavailable'],
      ['POST', '/v1/responses', { model: 'chat', input: 'And then?', previous_response_id: '{response}' }, 'response_store_unavailable'],
      ['GET', '/v1/responses/{response}', undefined, 'response_store_unavailable'],
      ['GET', '/v1/responses/{response}/input_items', undefined, 'response_store_unavailable'],
      ['DELETE', '/v1/responses/{response}', undefined, 'response_store_unavailable'],
    ] as const)('%s %s answers 503 with retry-after and logs a warning', async (method, path, body, code) => {
      const warned = logger.lines.warn.length;
      const errors = logger.lines.error.length;
      const asked = body && 'previous_response_id' in body ? { ...body, previous_response_id: responseId } : body;
      const answer = await call(method, path.replace('{id}', keyId).replace('{response}', responseId), asked);
      expect([answer.status, answer.json.error?.code, answer.json.error?.type]).toEqual([503, code, 'server_error']);
      expect(answer.headers['retry-after']).toBe('1');
      expect(logger.lines.warn.slice(warned).some((line) => line.endsWith('the ledger database cannot be reached'))).toBe(true);
      expect(logger.lines.error.slice(errors)).toEqual([]);
    });

    it('still refuses bad input as bad input, not as the database being down', async () => {
      const answer = await call('POST', '/v1/switchyard/keys/not-a-key-id/revoke');
      expect([answer.status, answer.json.error?.code]).toEqual([400, 'invalid_key_id']);
    });
  });
} else {
  describe.skip('ledger-backed routes while PostgreSQL is down (DATABASE_URL is not set)', () => {
    it('skipped', () => undefined);
  });
}
