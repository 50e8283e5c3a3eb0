import { describe, expect, it } from 'vitest';
import type { GatewayStatus } from '../gateway/engine.js';
import { createGateway } from '../gateway/gateway.js';
import { FakeProvider, rawDeployment } from '../routing/testing/fakes.js';
import { createHttpHandler } from './handler.js';
import type { HttpRequest } from './exchange.js';
import { createStatusRoute } from './status-route.js';

const gateway = createGateway(
  { api_keys: [{ id: 'ops', key: 'sk-admin-0123456789', role: 'admin' }], deployments: [rawDeployment('a')], groups: [{ name: 'chat', strategy: 'priority', deployments: ['a'] }] },
  { createProvider: (d) => new FakeProvider(d.id) },
);
const get: HttpRequest = { method: 'GET', path: '/v1/switchyard/status', query: '', headers: { authorization: 'Bearer sk-admin-0123456789' }, body: undefined, signal: new AbortController().signal };

async function statusWith(combine: (own: GatewayStatus) => Promise<GatewayStatus>): Promise<{ status: number; body: GatewayStatus }> {
  const handle = createHttpHandler(gateway, { routes: [createStatusRoute(combine)] });
  const res = await handle(get);
  return { status: res.status, body: JSON.parse(typeof res.body === 'string' ? res.body : '{}') as GatewayStatus };
}

describe('GET /v1/switchyard/status under serve --workers', () => {
  it("answers every worker's combined status", async () => {
    const { status, body } = await statusWith(async (own) => ({ ...own, workers: { answered: 2, expected: 2 } }));
    expect(status).toBe(200);
    expect(body.workers).toEqual({ answered: 2, expected: 2 });
  });

  it("answers this worker's own status, said so, when the primary does not answer: operators read it in an incident", async () => {
    const { status, body } = await statusWith(() => Promise.reject(new Error('no answer from the primary within 2000 ms')));
    expect(status).toBe(200);
    expect(body.deployments.map((d) => d.id)).toEqual(['a']);
    expect(body.workers).toEqual({ answered: 1, expected: null });
  });
});
