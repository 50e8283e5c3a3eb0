import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { createGateway } from '../gateway/gateway.js';
import type { HttpRequest } from './exchange.js';
import { createHttpHandler } from './handler.js';
import { jsonResponse } from './respond.js';
import type { Route } from './route.js';

const KEY = 'sk-live-4f3c9a1b7e2d8c6a5b0f';

function req(method: string, path: string, query = ''): HttpRequest {
  return { method, path, query, headers: {}, body: undefined, signal: new AbortController().signal };
}

describe('the access line names the route, never what a client put in its path or query', () => {
  const parsed = parseConfig({ deployments: [{ id: 'a', provider: 'openai-compatible', model: 'm', endpoint: 'http://127.0.0.1:9/v1' }], groups: [{ name: 'chat', deployments: ['a'] }] }, {});
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const gateway = createGateway(parsed.config);
  afterAll(() => gateway.close());
  const lines: Array<Record<string, unknown>> = [];
  const accessLogger: Logger = { ...silentLogger, info: (obj) => void lines.push(obj as Record<string, unknown>) };
  const revoke: Route = { method: 'POST', path: '/v1/switchyard/keys/{id}/revoke', handle: async () => jsonResponse(200, {}) };
  const handle = createHttpHandler(gateway, { accessLogger, routes: [revoke] });

  async function lineOf(request: HttpRequest): Promise<Record<string, unknown>> {
    lines.length = 0;
    const { status } = await handle(request);
    expect(lines, `${request.method} ${request.path}`).toHaveLength(1);
    expect(lines[0]).toMatchObject({ method: request.method, status });
    return lines[0] as Record<string, unknown>;
  }

  it('writes a 404 with every segment no route spells out as *, so a key pasted into the path stays out', async () => {
    const line = await lineOf(req('GET', `/v1/${KEY}/models`));
    expect(line).toMatchObject({ path: '/v1/*/models', status: 404, errorKind: 'not_found' });
    expect(JSON.stringify(line)).not.toContain('sk-live');
    expect((await lineOf(req('GET', '/v1/v1/models'))).path, "a base URL's /v1 doubled still shows").toBe('/v1/v1/models');
  });

  it('writes the template of a routed path, and a 405 on a path with a parameter masked like a 404', async () => {
    expect((await lineOf(req('POST', `/v1/switchyard/keys/${KEY}/revoke`))).path).toBe('/v1/switchyard/keys/{id}/revoke');
    const wrongMethod = await lineOf(req('GET', `/v1/switchyard/keys/${KEY}/revoke`));
    expect(wrongMethod).toMatchObject({ path: '/v1/switchyard/keys/*/revoke', status: 405 });
  });

  it('never writes the query string, routed or not', async () => {
    for (const path of ['/v1/models', '/v1/nothing']) expect(JSON.stringify(await lineOf(req('GET', path, `api_key=${KEY}`)))).not.toContain(KEY);
  });

  it('writes none for the public health checks', async () => {
    lines.length = 0;
    await handle(req('GET', '/healthz'));
    expect(lines).toEqual([]);
  });
});
