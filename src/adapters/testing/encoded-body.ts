import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../../gateway/gateway.js';
import type { ConformanceFront } from '../../providers/conformance.js';
import { FakeProvider, rawDeployment } from '../../routing/testing/fakes.js';

const CHAT = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] });

/**
 * One specification for every runtime: a request body sent with a content coding gets 415
 * `unsupported_content_encoding` naming it, with `Accept-Encoding: identity`, in the front door's
 * error shape, and never reaches a provider; `identity` is no coding. The runtime's own test calls it
 * with its front (a loopback server through the adapter, as the platform serves it).
 */
export function describeEncodedBodies(front: ConformanceFront): void {
  describe(`a compressed request body through ${front.name}`, () => {
    const provider = new FakeProvider('d');
    let served: { url: string; close(): Promise<void> };

    beforeAll(async () => {
      const gateway = createGateway({ deployments: [rawDeployment('d')], groups: [{ name: 'chat', deployments: ['d'] }] }, { createProvider: () => provider });
      served = await front.serve(gateway);
    });

    afterAll(async () => {
      await served.close();
    });

    const post = (path: string, body: string | Buffer, coding: string): Promise<Response> =>
      fetch(`${served.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': coding, ...(path === '/v1/messages' ? { 'anthropic-version': '2023-06-01' } : {}) },
        body,
      });

    it('is refused with 415 naming its Content-Encoding and asking for identity, rather than called invalid JSON', async () => {
      const res = await post('/v1/chat/completions', gzipSync(CHAT), 'gzip');
      expect(res.status).toBe(415);
      expect(res.headers.get('accept-encoding')).toBe('identity');
      const body = (await res.json()) as { error: { type: string; code: string; message: string } };
      expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'unsupported_content_encoding' });
      expect(body.error.message).toContain("'gzip'");
      expect(provider.calls).toBe(0);
    });

    it("is refused in the front door's own error shape (Anthropic's for /v1/messages)", async () => {
      const res = await post('/v1/messages', gzipSync(JSON.stringify({ model: 'chat', max_tokens: 8, messages: [{ role: 'user', content: 'Hi' }] })), 'gzip');
      expect(res.status).toBe(415);
      expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    });

    it('is served when its coding is identity', async () => {
      const res = await post('/v1/chat/completions', CHAT, 'identity');
      expect(res.status).toBe(200);
      await res.body?.cancel();
    });
  });
}
