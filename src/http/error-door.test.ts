import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { GatewayError } from '../core/errors.js';
import { createGateway } from '../gateway/gateway.js';
import type { HttpRequest } from './exchange.js';
import { createHttpHandler } from './handler.js';
import { jsonResponse } from './respond.js';
import type { Ingress } from './route.js';

/*
 * A route shared by two front doors answers each door's clients in that door's error shape
 * (`Route.errorDoor`): the refusals the handler makes before the route runs (a bad key, a wrong method,
 * a path under the route that none takes) as well as the route's own.
 */

const KEY = 'sk-error-door';

const other: Ingress = {
  name: 'other',
  routes: [],
  encodeError: (error) => ({ other: { kind: error.kind } }),
  errorAnswer: (error, _requestId, headers) => {
    headers['x-other'] = 'yes';
    return error.status;
  },
};

const own: Ingress = {
  name: 'own',
  routes: [
    {
      method: 'GET',
      path: '/v1/things',
      errorDoor: (request) => (request.headers['x-other-client'] === undefined ? undefined : other),
      handle: async (ctx) => {
        if (ctx.query.get('fail') !== null) throw new GatewayError({ kind: 'invalid_request', message: 'no' });
        return jsonResponse(200, { ok: true });
      },
    },
  ],
  encodeError: (error) => ({ own: { kind: error.kind } }),
};

const parsed = parseConfig({
  api_keys: [{ id: 'k', key: KEY }],
  deployments: [{ id: 'd', provider: 'openai-compatible', model: 'm', endpoint: 'http://127.0.0.1:9/v1' }],
  groups: [{ name: 'g', deployments: ['d'] }],
});
if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
const gateway = createGateway(parsed.config);
const handle = createHttpHandler(gateway, { ingresses: [own] });

function req(method: string, path: string, headers: Record<string, string>, query = ''): HttpRequest {
  return { method, path, query, headers, body: undefined, signal: new AbortController().signal };
}

describe("a route's errorDoor", () => {
  afterAll(() => gateway.close());

  const cases: ReadonlyArray<[string, HttpRequest, number, string]> = [
    ['a wrong key', req('GET', '/v1/things', { authorization: 'Bearer sk-wrong' }), 401, 'unauthenticated'],
    ['a method the route does not take', req('POST', '/v1/things', { authorization: `Bearer ${KEY}` }), 405, 'invalid_request'],
    ['a path under the route that none takes', req('GET', '/v1/things/x', { authorization: `Bearer ${KEY}` }), 404, 'not_found'],
    ["the route's own refusal", req('GET', '/v1/things', { authorization: `Bearer ${KEY}` }, 'fail=1'), 400, 'invalid_request'],
  ];

  it.each(cases)("answers %s in the other door's shape, with its answer headers, when the route names that door for the request", async (_, request, status, kind) => {
    const answer = await handle({ ...request, headers: { ...request.headers, 'x-other-client': '1' } });
    expect([answer.status, JSON.parse(answer.body as string), answer.headers['x-other']]).toEqual([status, { other: { kind } }, 'yes']);
  });

  it.each(cases)("answers %s in the route's own door's shape otherwise", async (_, request, status, kind) => {
    const answer = await handle(request);
    expect([answer.status, JSON.parse(answer.body as string), answer.headers['x-other']]).toEqual([status, { own: { kind } }, undefined]);
  });
});
