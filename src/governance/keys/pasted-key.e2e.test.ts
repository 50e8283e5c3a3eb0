import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { Logger } from '../../core/logger.js';
import { attr, spansOf, startCollector } from '../../observability/testing/collector.js';
import { post, startKeysServer, type KeysServer } from './testing/keys-server.js';

const ADMIN = 'sk-admin-for-pasted-keys';
const USER = 'sk-user-for-pasted-keys';

/**
 * An admin who pastes a virtual key where its id goes (`/v1/switchyard/keys/{id}/revoke`), or a client
 * whose key ends up in a URL (`/v1/<key>/models`): the secret reaches no trace, metric, log line, audit
 * entry nor error answer.
 */
describe('a virtual key pasted into a URL, through the server', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let server: KeysServer;
  const lines: unknown[] = [];
  const capture = (obj: object, msg?: string): void => void lines.push({ obj, msg });
  const logger: Logger = { debug: capture, info: capture, warn: capture, error: capture, child: () => logger };

  beforeAll(async () => {
    collector = await startCollector();
    server = await startKeysServer(
      ADMIN,
      { api_keys: [{ id: 'user', key: USER }], observability: { metrics: { public: true }, tracing: { enabled: true, endpoint: collector.url } } },
      { logger },
    );
  });

  afterAll(async () => {
    await server.close();
    await collector.close();
  });

  it('keeps its secret out of the server spans, the metrics, the log, the audit log and the error answers', async () => {
    const created = await post(server.url, '/v1/switchyard/keys', ADMIN, { owner: 'ana' });
    expect(created.status).toBe(201);
    const key = created.json.key as string;
    const id = created.json.id as string;
    const secret = key.slice(`sy-${id}-`.length);
    // Any stretch of it would do harm: the check looks for its first eight characters.
    const leaked = (text: string): boolean => text.includes(secret.slice(0, 8));

    const revoke = await post(server.url, `/v1/switchyard/keys/${key}/revoke`, ADMIN, {});
    const rotate = await post(server.url, `/v1/switchyard/keys/${key}/rotate`, ADMIN, {});
    const denied = await post(server.url, `/v1/switchyard/keys/${key}/revoke`, USER, {});
    const lost = await request(`${server.url}/v1/${key}/models`, { headers: { authorization: `Bearer ${USER}` } });
    await lost.body.dump();
    expect([revoke.status, rotate.status, denied.status, lost.statusCode]).toEqual([400, 400, 403, 404]);
    // The admin is told which id the pasted key has, not shown the key back.
    expect(revoke.json).toMatchObject({ error: { code: 'invalid_key_id', message: expect.stringContaining(`its id is ${id}`) } });
    expect(leaked(JSON.stringify([revoke.json, rotate.json, denied.json]))).toBe(false);

    // Each key route's server span: the route in url.path as in http.route, nothing of what was typed.
    let spans = spansOf(collector.received);
    await expect.poll(() => (spans = spansOf(collector.received)).filter((s) => attr(s, 'http.route') !== '/v1/switchyard/keys').length, { timeout: 5_000 }).toBe(3);
    const keyRoutes = spans.filter((s) => attr(s, 'http.route') !== '/v1/switchyard/keys');
    expect(keyRoutes.map((s) => attr(s, 'url.path')).sort()).toEqual(['/v1/switchyard/keys/{id}/revoke', '/v1/switchyard/keys/{id}/revoke', '/v1/switchyard/keys/{id}/rotate']);
    expect(leaked(JSON.stringify(spans))).toBe(false);

    const metrics = await request(`${server.url}/metrics`);
    const text = await metrics.body.text();
    expect(text).toContain('route="/v1/switchyard/keys/{id}/revoke"');
    expect(leaked(text)).toBe(false);

    // The access log writes routes' templates, and a path no route took with its unknown segments as `*`.
    expect(lines).toContainEqual({ msg: 'request', obj: expect.objectContaining({ path: '/v1/*/models', status: 404 }) });
    expect(leaked(JSON.stringify(lines))).toBe(false);

    // The refusals changed nothing, so the audit log holds the creation and the denial, under the route.
    const entries: unknown[] = [];
    const audit = server.app.governance.audit;
    expect(audit).toBeDefined();
    await expect.poll(async () => {
      entries.length = 0;
      for await (const page of audit!.entries()) entries.push(...page);
      return entries.length;
    }).toBe(2);
    expect(entries).toMatchObject([
      { action: 'key.created', subject: `key:${id}` },
      { actor: 'key:user', action: 'permission.denied', subject: 'route:/v1/switchyard/keys/{id}/revoke' },
    ]);
    expect(leaked(JSON.stringify(entries))).toBe(false);
  });
});
