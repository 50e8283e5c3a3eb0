import { request as httpRequest, type ClientRequest, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../gateway/gateway.js';
import type { HttpHandler } from '../../http/exchange.js';
import { createHttpHandler } from '../../http/handler.js';
import { anthropicShapeProblem, openAIShapeProblem } from '../../ingress/testing/error-shapes.js';
import { FakeProvider, rawDeployment } from '../../routing/testing/fakes.js';
import { registerGcpFunction, type GcpOptions } from './index.js';

// functions-framework's body parsers would buffer and parse every body, up to their own 1024 MB,
// before the function runs: before the gateway checked the API key, applied server.body_limit_bytes
// or server.body_timeout_ms. On its own server the body must reach the gateway unread.

const KEY = 'sk-request-body-key-0123456789ab';
const LIMIT = 100_000;
const BODY_TIMEOUT_MS = 400;
const CHAT = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] });

interface Reply {
  readonly status: number;
  readonly json: unknown;
  /** When the answer had all come, in ms from the request's start. */
  readonly afterMs: number;
}

interface Served {
  readonly port: number;
  readonly handler: HttpHandler;
  readonly server: Server;
  readonly gateway: Gateway;
}

const provider = new FakeProvider('d');
const served: Served[] = [];
let functions = 0;

/** A gateway with an API key registered with functions-framework and served by the framework's own server. */
async function serve(server: Record<string, unknown>, options: GcpOptions = {}): Promise<Served> {
  const gateway = createGateway(
    { server, api_keys: [{ id: 'k', key: KEY }], deployments: [rawDeployment('d')], groups: [{ name: 'chat', deployments: ['d'] }], routing: { deadline_ms: 600_000, attempt_timeout_ms: 600_000 } },
    { createProvider: () => provider },
  );
  const handler = createHttpHandler(gateway);
  const name = `switchyard-request-body-${++functions}`;
  registerGcpFunction(name, handler, options);
  const http = getTestServer(name);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const one = { port: (http.address() as AddressInfo).port, handler, server: http, gateway };
  served.push(one);
  return one;
}

let limited: Served;
beforeAll(async () => {
  limited = await serve({ body_limit_bytes: LIMIT, body_timeout_ms: BODY_TIMEOUT_MS, headers_timeout_ms: BODY_TIMEOUT_MS });
});

afterAll(async () => {
  for (const { server, gateway } of served.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await gateway.close();
  }
});

/**
 * Sends the request's head and `part` of its body, and never the rest: the answer that comes anyway
 * (the request left unfinished), or undefined when none came within `waitMs`.
 */
async function sendPart(port: number, path: string, headers: OutgoingHttpHeaders, part: Buffer | string, waitMs = 3_000): Promise<Reply | undefined> {
  const started = Date.now();
  let req: ClientRequest | undefined;
  const answer = new Promise<Reply>((resolve, reject) => {
    req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown, afterMs: Date.now() - started }));
    });
    req.on('error', reject);
    req.write(part);
  });
  let timer: NodeJS.Timeout | undefined;
  const none = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, waitMs, undefined)));
  try {
    return await Promise.race([answer, none]);
  } finally {
    clearTimeout(timer);
    req?.destroy();
  }
}

/** The whole request, as a client that sends it all at once. */
async function send(port: number, path: string, headers: Record<string, string>, body: string): Promise<Reply> {
  const started = Date.now();
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers, body });
  return { status: res.status, json: (await res.json()) as unknown, afterMs: Date.now() - started };
}

/** The handler's own answer to the same bytes, as the node, Lambda and Azure runtimes hand them over. */
async function handlerAnswer(handler: HttpHandler, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; json: unknown }> {
  const answer = await handler({ method: 'POST', path, query: '', headers, body: Buffer.from(body), signal: new AbortController().signal });
  return { status: answer.status, json: JSON.parse(String(answer.body)) as unknown };
}

const MB = 1 << 20;
const withKey = { 'content-type': 'application/json', authorization: `Bearer ${KEY}` };

describe("a body on functions-framework's server is read by the gateway, not by the framework's parsers", () => {
  it('refuses a 30 MB body without a key with 401 before the client has sent it: nothing buffered it first', async () => {
    const reply = await sendPart(limited.port, '/v1/chat/completions', { 'content-type': 'application/json', 'content-length': String(30 * MB) }, Buffer.alloc(64 << 10, 0x20));
    expect(reply?.status).toBe(401);
    expect(openAIShapeProblem(reply?.json)).toBeUndefined();
  });

  it('refuses a chunked body without a key, whatever its content type, before its end', async () => {
    for (const type of ['application/json', 'text/plain', 'application/octet-stream', 'application/x-www-form-urlencoded']) {
      const reply = await sendPart(limited.port, '/v1/chat/completions', { 'content-type': type, 'transfer-encoding': 'chunked' }, Buffer.alloc(MB, 0x20));
      expect({ type, status: reply?.status }).toEqual({ type, status: 401 });
    }
  });

  it('refuses a body over server.body_limit_bytes with 413 once it passes the limit, declared or not, without waiting for the rest', async () => {
    const declared = await sendPart(limited.port, '/v1/chat/completions', { ...withKey, 'content-length': String(30 * MB) }, '{"model":');
    expect(declared?.status).toBe(413);
    expect(declared?.json).toMatchObject({ error: { code: 'request_too_large' } });
    const chunked = await sendPart(limited.port, '/v1/chat/completions', { ...withKey, 'transfer-encoding': 'chunked' }, Buffer.alloc(LIMIT + 1, 0x20));
    expect(chunked?.status).toBe(413);
    expect(openAIShapeProblem(chunked?.json)).toBeUndefined();
  });

  it('serves a JSON request as sent, application/json; charset=utf-8 included', async () => {
    for (const type of ['application/json', 'application/json; charset=utf-8', 'application/json;charset=UTF-8']) {
      const reply = await send(limited.port, '/v1/chat/completions', { 'content-type': type, authorization: `Bearer ${KEY}` }, CHAT);
      expect({ type, status: reply.status }).toEqual({ type, status: 200 });
      expect(reply.json).toMatchObject({ object: 'chat.completion', choices: [{ message: { role: 'assistant' } }] });
    }
  });

  it('serves the official OpenAI SDK', async () => {
    const client = new OpenAI({ apiKey: KEY, baseURL: `http://127.0.0.1:${limited.port}/v1`, maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.choices[0]?.message.role).toBe('assistant');
  });

  it('answers a charset the framework\'s parser did not know (latin1) as the Lambda and Azure runtimes do: the handler reads the bytes', async () => {
    const headers = { 'content-type': 'application/json; charset=latin1', authorization: `Bearer ${KEY}` };
    const reply = await send(limited.port, '/v1/chat/completions', headers, CHAT);
    expect(reply.status).toBe((await handlerAnswer(limited.handler, '/v1/chat/completions', headers, CHAT)).status);
    expect(reply.json).toMatchObject({ object: 'chat.completion' });
  });

  it('hands the gateway the Content-Type as sent: malformed JSON is its own 400 invalid_json, after authentication', async () => {
    const body = '{"model":';
    const reply = await send(limited.port, '/v1/chat/completions', withKey, body);
    expect({ status: reply.status, json: reply.json }).toEqual(await handlerAnswer(limited.handler, '/v1/chat/completions', withKey, body));
    expect(reply.json).toMatchObject({ error: { code: 'invalid_json' } });
    expect((await send(limited.port, '/v1/chat/completions', { 'content-type': 'application/json' }, body)).status).toBe(401);
  });
});

describe('a stalled upload on functions-framework\'s server', () => {
  it('is answered 408 at server.body_timeout_ms in the OpenAI error shape, not held until node:http gives up', async () => {
    const reply = await sendPart(limited.port, '/v1/chat/completions', { ...withKey, 'content-length': '200' }, '{"model":"chat",');
    expect(reply?.status).toBe(408);
    expect(reply?.json).toMatchObject({ error: { code: 'request_timeout' } });
    expect(openAIShapeProblem(reply?.json)).toBeUndefined();
    expect(reply?.afterMs).toBeGreaterThanOrEqual(BODY_TIMEOUT_MS - 50);
  });

  it("is answered 408 in the Anthropic shape on /v1/messages", async () => {
    const headers = { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01', 'transfer-encoding': 'chunked' };
    const reply = await sendPart(limited.port, '/v1/messages', headers, '{"model":"chat",');
    expect(reply?.status).toBe(408);
    expect(anthropicShapeProblem(reply?.json)).toBeUndefined();
  });
});

describe('the request deadline (GcpOptions.deadlineMs)', () => {
  it("stops a request still running at the deadline with a 504 in the front door's shape", async () => {
    const deadlined = await serve({}, { deadlineMs: 300 });
    provider.script = () => 'hang';
    try {
      const reply = await send(deadlined.port, '/v1/chat/completions', withKey, CHAT);
      expect(reply.status).toBe(504);
      expect(reply.json).toMatchObject({ error: { type: 'timeout_error' } });
      expect(openAIShapeProblem(reply.json)).toBeUndefined();
    } finally {
      provider.script = () => 'ok';
    }
  });
});
