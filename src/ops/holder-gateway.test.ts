import { describe, expect, it } from 'vitest';
import type { App } from '../app.js';
import type { RouteContext } from '../http/route.js';
import { holderServerOptions } from './holder-gateway.js';
import type { AppHolder } from './reload.js';

describe('holderServerOptions', () => {
  it("answers a route the reloaded config no longer has 404 by its template, never the path a client typed into it", async () => {
    const route = { method: 'POST' as const, path: '/v1/switchyard/keys/{id}/revoke', handle: async () => ({ status: 200, headers: {}, body: '' }) };
    const holder = { current: { serverOptions: { routes: [route] } } };
    const options = holderServerOptions(holder as unknown as AppHolder<App>);
    // The reload's app has no virtual keys, so no key routes.
    holder.current = { serverOptions: { routes: [] } };
    const pasted = 'sy-0123456789ab-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCd';
    const ctx = { request: { path: `/v1/switchyard/keys/${pasted}/revoke` }, routePath: route.path } as unknown as RouteContext;
    await expect(async () => options.routes?.[0]?.handle(ctx)).rejects.toMatchObject({ status: 404, code: 'unknown_route', message: 'Unknown route /v1/switchyard/keys/{id}/revoke.' });
  });
});
