import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import { createAgent, parseJsonBody, requestBuffered, sendUpstream, type Upstream, type UpstreamRequest } from './http.js';

/*
 * What the transport writes of a failed exchange names the deployment as the gateway's words for an
 * error reply do, `deployment (provider type)`, whether the call streams or not, and carries the provider
 * type as `provider`: an operator reads which deployment broke, not which of its kind.
 */

const UPSTREAM: Upstream = { provider: 'openai-compatible', deployment: 'vllm-eu' };
const NAMED = /^(The request to upstream|Upstream) vllm-eu \(openai-compatible\)('s)? /;

describe('the errors of an upstream exchange', () => {
  let server: Server;
  let url: URL;
  let respond: (res: ServerResponse) => void = () => undefined;
  beforeAll(async () => {
    server = createServer((_req, res) => respond(res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const request = (headers: Record<string, string> = {}): UpstreamRequest => ({ url, headers: { 'content-type': 'application/json', ...headers }, body: '{}', signal: new AbortController().signal });

  /** What a whole call and a streamed one (read to its end) fail with. */
  async function failures(): Promise<unknown[]> {
    const agent = createAgent();
    const whole = await requestBuffered(agent, request(), UPSTREAM).then((res) => parseJsonBody(res, UPSTREAM)).catch((err: unknown) => err);
    const streamed = await sendUpstream(agent, request(), UPSTREAM)
      .then(async (res) => {
        for await (const chunk of res.body) void chunk;
        return res;
      })
      .catch((err: unknown) => err);
    await agent.close();
    return [whole, streamed];
  }

  const cases: Array<[string, (res: ServerResponse) => void, RegExp]> = [
    ['a connection reset before the answer', (res) => res.socket?.destroy(), /connection failed \(/],
    ['an answer cut mid-body', (res) => (res.writeHead(200, { 'content-length': '40' }), res.write('{"choices":', () => setTimeout(() => res.destroy(), 20))), / ended before it finished: /],
    ['a redirect', (res) => (res.writeHead(307, { location: 'http://elsewhere.example/' }), res.end()), /answered with a redirect \(HTTP 307\)/],
  ];

  for (const [what, answer, how] of cases) {
    it(`${what}: whole or streamed, the message names the deployment and its type, the error the type`, async () => {
      respond = answer;
      for (const error of await failures()) {
        expect(GatewayError.isInstance(error)).toBe(true);
        const { message, provider } = error as GatewayError;
        expect(message).toMatch(NAMED);
        expect(message).toMatch(how);
        expect(provider).toBe('openai-compatible');
      }
    });
  }

  it('a malformed whole answer, and a header that cannot be sent, name the deployment too', async () => {
    respond = (res) => (res.writeHead(200, { 'content-type': 'application/json' }), res.end('{"id": "broken", "choices": ['));
    const agent = createAgent();
    const malformed = await requestBuffered(agent, request(), UPSTREAM).then((res) => parseJsonBody(res, UPSTREAM)).catch((err: unknown) => err);
    expect((malformed as GatewayError).message).toBe('Upstream vllm-eu (openai-compatible) returned a malformed body (status 200).');
    const unsendable = await requestBuffered(agent, request({ authorization: 'Bearer sk-line\n' }), UPSTREAM).catch((err: unknown) => err);
    expect((unsendable as GatewayError).message).toMatch(NAMED);
    expect((unsendable as GatewayError).message).not.toContain('sk-line');
    await agent.close();
  });

  it('names a deployment called as its type once', async () => {
    respond = (res) => res.socket?.destroy();
    const agent = createAgent();
    const error = await requestBuffered(agent, request(), { provider: 'anthropic', deployment: 'anthropic' }).catch((err: unknown) => err);
    expect((error as GatewayError).message).toMatch(/^Upstream anthropic connection failed \(/);
    await agent.close();
  });
});
