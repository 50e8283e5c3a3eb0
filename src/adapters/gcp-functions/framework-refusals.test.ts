import { createServer, request as httpRequest, type OutgoingHttpHeaders, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import type express from 'express';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createGateway, type Gateway } from '../../gateway/gateway.js';
import type { HttpHandler } from '../../http/exchange.js';
import { createHttpHandler } from '../../http/handler.js';
import { anthropicShapeProblem, openAIShapeProblem } from '../../ingress/testing/error-shapes.js';
import { FakeProvider, rawDeployment } from '../../routing/testing/fakes.js';
import { registerGcpFunction } from './index.js';

// functions-framework's body parsers would refuse these bodies before any function runs, and Express's
// router such paths: the gateway must answer them as every runtime does, never as HTML.

const KEY = 'sk-refusals-key-0123456789abcdef';
const CANARY = 'sk-pasted-canary-fedcba9876543210';

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

let gateway: Gateway;
let handler: HttpHandler;
let server: Server;
let port: number;
const stderr: string[] = [];

beforeAll(async () => {
  const provider = new FakeProvider('d');
  gateway = createGateway({ api_keys: [{ id: 'k', key: KEY }], deployments: [rawDeployment('d')], groups: [{ name: 'chat', deployments: ['d'] }] }, { createProvider: () => provider });
  handler = createHttpHandler(gateway);
  registerGcpFunction('switchyard-refusals', handler);
  server = getTestServer('switchyard-refusals');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await gateway.close();
});

afterEach(() => {
  vi.restoreAllMocks();
  stderr.length = 0;
});

/** Sends the bytes as written, on a socket of functions-framework's own server (or of the server on `to`). */
function send(method: string, path: string, headers: OutgoingHttpHeaders, body?: Buffer | string, to = port): Promise<Reply> {
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void stderr.push(args.map(String).join(' ')));
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: to, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The handler's own answer to the same bytes, as the node, Lambda and Azure runtimes hand them over. */
async function handlerAnswer(path: string, headers: Record<string, string>, body: string): Promise<{ status: number; json: unknown }> {
  const answer = await handler({ method: 'POST', path, query: '', headers, body: Buffer.from(body), signal: new AbortController().signal });
  return { status: answer.status, json: JSON.parse(String(answer.body)) as unknown };
}

const json = { 'content-type': 'application/json', authorization: `Bearer ${KEY}` };

describe('requests functions-framework would refuse before the function runs', () => {
  it('answers malformed JSON as the gateway does on every runtime, in the OpenAI shape, without logging the body', async () => {
    const body = `{"model":"chat","messages":[{"role":"user","content":"${CANARY}"}`;
    const reply = await send('POST', '/v1/chat/completions', json, body);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    expect({ status: reply.status, json: JSON.parse(reply.text) as unknown }).toEqual(await handlerAnswer('/v1/chat/completions', json, body));
    expect(reply.status).toBe(400);
    expect(openAIShapeProblem(JSON.parse(reply.text))).toBeUndefined();
    expect(reply.headers['x-request-id']).toBeDefined();
    expect(stderr.join('\n')).not.toContain(CANARY);
  });

  it('answers malformed JSON on /v1/messages in the Anthropic shape', async () => {
    const headers = { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01' };
    const reply = await send('POST', '/v1/messages', headers, '{"model":');
    expect(reply.status).toBe(400);
    expect(anthropicShapeProblem(JSON.parse(reply.text))).toBeUndefined();
    const { error } = (await handlerAnswer('/v1/messages', headers, '{"model":')).json as { error: unknown };
    expect(JSON.parse(reply.text)).toEqual({ type: 'error', error, request_id: reply.headers['request-id'] ?? reply.headers['x-request-id'] });
  });

  it('authenticates before complaining about the body, as on every runtime: a wrong key is 401', async () => {
    const reply = await send('POST', '/v1/chat/completions', { 'content-type': 'application/json', authorization: 'Bearer sk-wrong' }, '{"model":');
    expect(reply.status).toBe(401);
    expect(openAIShapeProblem(JSON.parse(reply.text))).toBeUndefined();
  });

  it('hands the gateway the bytes of JSON the strict parser refuses and of form bodies its parser cannot take', async () => {
    for (const [type, body] of [
      ['application/json', '"just a string"'],
      ['application/x-www-form-urlencoded', Array.from({ length: 1100 }, (_, i) => `k${i}=1`).join('&')],
      ['application/x-www-form-urlencoded', `a${'[b]'.repeat(40)}=1`],
    ] as const) {
      const headers = { 'content-type': type, authorization: `Bearer ${KEY}` };
      const reply = await send('POST', '/v1/chat/completions', headers, body);
      expect({ status: reply.status, json: JSON.parse(reply.text) as unknown }).toEqual(await handlerAnswer('/v1/chat/completions', headers, body));
    }
  });

  it('refuses a Content-Encoding it cannot decode with 415 and Accept-Encoding: identity, as every runtime does', async () => {
    const reply = await send('POST', '/v1/chat/completions', { ...json, 'content-encoding': 'compress' }, '{"model":"chat"}');
    expect(reply.status).toBe(415);
    expect(reply.headers['accept-encoding']).toBe('identity');
    expect(JSON.parse(reply.text)).toMatchObject({ error: { code: 'unsupported_content_encoding' } });
    expect(openAIShapeProblem(JSON.parse(reply.text))).toBeUndefined();
  });

  it('refuses a gzip body with 415 in the door shape whether or not it is gzip: nothing is inflated', async () => {
    const headers = { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01', 'content-encoding': 'gzip' };
    for (const body of ['not gzip at all', gzipSync('{"model":')]) {
      const reply = await send('POST', '/v1/messages', headers, body);
      expect(reply.status).toBe(415);
      expect(anthropicShapeProblem(JSON.parse(reply.text))).toBeUndefined();
      expect(JSON.parse(reply.text)).toMatchObject({ error: { message: expect.stringContaining("Content-Encoding 'gzip'") as unknown } });
    }
  });

  it('routes a path Express cannot percent-decode as the gateway does: a 404 in the shape of its door', async () => {
    const openai = await send('POST', '/v1/chat/completions%zz', json, '{"model":"chat"}');
    expect(openai.status).toBe(404);
    expect(openAIShapeProblem(JSON.parse(openai.text))).toBeUndefined();
    expect(openai.text).not.toContain('<');
    const pasted = await send('GET', `/v1/models/${CANARY}%E0%A4%A`, { authorization: `Bearer ${KEY}` });
    expect(pasted.status).toBeLessThan(500);
    expect(openAIShapeProblem(JSON.parse(pasted.text))).toBeUndefined();
    expect(pasted.text + stderr.join('\n')).not.toContain(CANARY);
  });

  it('keeps serving the official SDK after refusals', async () => {
    const client = new OpenAI({ apiKey: KEY, baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.choices[0]?.message.role).toBe('assistant');
  });
});

/** The Express functions-framework itself runs, as a user's own app in the same process would load it. */
const loadExpress = (): typeof express => createRequire(createRequire(import.meta.url).resolve('@google-cloud/functions-framework'))('express') as typeof express;

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

describe('other servers in the same process', () => {
  it("leaves a user's own Express app on a plain node:http server as it is: Express answers what its parser refuses", async () => {
    const express = loadExpress();
    const app = express();
    app.use(express.json());
    app.post('/echo', (req, res) => void res.json(req.body));
    const layers = app.router.stack.length;
    const other = createServer(app);
    const otherPort = await listen(other);
    try {
      // The framework's server has taken its first request, so the channel is subscribed and watching.
      expect((await send('GET', '/healthz', {})).status).toBe(200);
      const reply = await send('POST', '/echo', { 'content-type': 'application/json' }, '{"model":', otherPort);
      expect(reply.status).toBe(400);
      expect(reply.headers['content-type']).toMatch(/^text\/html/);
      expect(app.router.stack.length).toBe(layers);
      expect((await send('POST', '/echo', { 'content-type': 'application/json' }, '{"a":1}', otherPort)).text).toBe('{"a":1}');
    } finally {
      await close(other);
    }
  });

  it('leaves a plain node:http server\'s requests as they were sent, headers and body', async () => {
    const other = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => res.end(JSON.stringify({ coding: req.headers['content-encoding'], bytes: Buffer.concat(chunks).toString('base64') })));
    });
    const otherPort = await listen(other);
    try {
      const gz = gzipSync('{"model":"chat"}');
      const reply = await send('POST', '/v1/chat/completions', { ...json, 'content-encoding': 'gzip' }, gz, otherPort);
      expect(JSON.parse(reply.text)).toEqual({ coding: 'gzip', bytes: gz.toString('base64') });
    } finally {
      await close(other);
    }
  });
});

describe('a compressed body on the framework server', () => {
  // 16 MiB of JSON (the gateway's limit is 4) that gzip makes ~16 KiB of: the framework's parsers would
  // inflate it whole, up to their own 1024 MB, before the gateway's limit applied.
  const bomb = (): Buffer => gzipSync(Buffer.concat([Buffer.from('{"model":"chat","pad":"'), Buffer.alloc(16 << 20, 0x61), Buffer.from('"}')]));

  it('is refused with 415 as sent, never inflated, whatever it would inflate to', async () => {
    const gz = bomb();
    expect(gz.length).toBeLessThan(64 << 10);
    const reply = await send('POST', '/v1/chat/completions', { ...json, 'content-encoding': 'gzip' }, gz);
    expect(reply.status).toBe(415);
    expect(reply.headers['accept-encoding']).toBe('identity');
    expect(JSON.parse(reply.text)).toMatchObject({ error: { code: 'unsupported_content_encoding' } });
  });

  it('reaches the function as the bytes sent with the coding it was sent with, for every coding the parsers know', async () => {
    const seen: { coding: string | undefined; bytes: string }[] = [];
    registerGcpFunction('switchyard-coded', async (request) => {
      const body = typeof request.body === 'function' ? await request.body(1 << 20, 5_000) : request.body;
      seen.push({ coding: request.headers['content-encoding'], bytes: Buffer.from(body ?? new Uint8Array()).toString('base64') });
      return { status: 204, headers: {}, body: '' };
    });
    const coded = getTestServer('switchyard-coded');
    const codedPort = await listen(coded);
    try {
      const sent = { gzip: gzipSync('{"a":1}'), deflate: deflateSync('{"a":1}'), br: brotliCompressSync('{"a":1}') };
      for (const [coding, body] of Object.entries(sent)) {
        expect((await send('POST', '/', { 'content-type': 'application/json', 'content-encoding': coding }, body, codedPort)).status).toBe(204);
      }
      expect(seen).toEqual(Object.entries(sent).map(([coding, body]) => ({ coding, bytes: body.toString('base64') })));
    } finally {
      await close(coded);
    }
  });
});
