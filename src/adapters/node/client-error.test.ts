import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { parseConfig } from '../../config/load.js';
import type { ConfigInput } from '../../config/schema.js';
import { createGateway } from '../../gateway/gateway.js';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';
import { startServer, type RunningServer } from './server.js';

async function start(sim: SimServer, server: ConfigInput['server'] = {}): Promise<RunningServer> {
  const parsed = parseConfig({ server, deployments: [{ id: 'sim', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${sim.url}/v1` }], groups: [{ name: 'chat', deployments: ['sim'] }] }, {});
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return startServer(createGateway(parsed.config), { port: 0 });
}

/** Writes raw bytes (all at once, or the parts with `pauseMs` between them) and reads until the server closes. */
function raw(port: number, parts: Array<string | Buffer>, pauseMs = 0): Promise<{ text: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket: Socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve({ text: Buffer.concat(chunks).toString('latin1'), ms: Date.now() - started }));
    socket.on('connect', async () => {
      for (const p of parts) {
        if (socket.destroyed) return;
        socket.write(p);
        if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
      }
    });
    setTimeout(() => socket.destroy(), 5_000).unref();
  });
}

function expectOpenAIError(text: string, status: number, code: string): void {
  expect(text.startsWith(`HTTP/1.1 ${status} `)).toBe(true);
  expect(text).toMatch(/\r\ncontent-type: application\/json\r\n/i);
  const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as unknown;
  expect(body).toEqual({ error: { message: expect.any(String) as string, type: 'invalid_request_error', param: null, code } });
}

function expectAnthropicError(text: string, status: number): void {
  expect(text.startsWith(`HTTP/1.1 ${status} `)).toBe(true);
  const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as unknown;
  expect(body).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: expect.any(String) as string } });
}

const POST = 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n';
const MESSAGES = 'POST /v1/messages?beta=true HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n';
const BODY = '{"model":"chat","messages":[{"role":"user","content":"x"}]}';

describe("malformed HTTP answered in the front door's error shape", () => {
  let sim: SimServer;
  let server: RunningServer;

  beforeAll(async () => {
    sim = await startOpenAISim();
    server = await start(sim);
  });

  afterAll(async () => {
    await server.shutdown(100);
    await sim.close();
  });

  it('answers two Content-Length headers with 400', async () => {
    const { text } = await raw(server.port, [`${POST}Content-Length: ${BODY.length}\r\nContent-Length: 5\r\n\r\n${BODY}`]);
    expectOpenAIError(text, 400, 'malformed_http');
  });

  it('answers Content-Length together with chunked Transfer-Encoding with 400', async () => {
    const { text } = await raw(server.port, [`${POST}Content-Length: ${BODY.length}\r\nTransfer-Encoding: chunked\r\n\r\n${BODY}`]);
    expectOpenAIError(text, 400, 'malformed_http');
  });

  it('answers a NUL byte in a header with 400', async () => {
    const { text } = await raw(server.port, [Buffer.concat([Buffer.from(`${POST}X-Evil: a`), Buffer.from([0]), Buffer.from(`b\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`)])]);
    expectOpenAIError(text, 400, 'malformed_http');
  });

  it('answers too many headers with 431, and never echoes the request bytes', async () => {
    const many = Array.from({ length: 3_000 }, (_, i) => `X-H${i}: secret-${i}\r\n`).join('');
    const { text } = await raw(server.port, [`${POST}${many}Content-Length: ${BODY.length}\r\n\r\n${BODY}`]);
    expectOpenAIError(text, 431, 'request_headers_too_large');
    expect(text).not.toContain('secret');
  });

  it("answers a request for another front door in that door's shape (the Anthropic SDK reads its own)", async () => {
    const { text } = await raw(server.port, [`${MESSAGES}Content-Length: ${BODY.length}\r\nContent-Length: 5\r\n\r\n${BODY}`]);
    expectAnthropicError(text, 400);
    const many = Array.from({ length: 3_000 }, (_, i) => `X-H${i}: secret-${i}\r\n`).join('');
    expectAnthropicError((await raw(server.port, [`${MESSAGES}${many}\r\n`])).text, 431);
    const absolute = MESSAGES.replace(' /v1/messages', ' http://gateway:4000/v1/messages');
    expectAnthropicError((await raw(server.port, [`${absolute}Content-Length: ${BODY.length}\r\nContent-Length: 5\r\n\r\n${BODY}`])).text, 400);
  });

  it('still serves well-formed requests', async () => {
    const { text } = await raw(server.port, [`${POST}Content-Length: ${BODY.length}\r\nConnection: close\r\n\r\n${BODY}`]);
    expect(text.startsWith('HTTP/1.1 200 ')).toBe(true);
  });
});

describe('malformed HTTP under server.base_path', () => {
  let sim: SimServer;
  let server: RunningServer;

  beforeAll(async () => {
    sim = await startOpenAISim();
    server = await start(sim, { base_path: '/llm', headers_timeout_ms: 500, body_timeout_ms: 600 });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await sim.close();
  });

  it("answers a request for a door under the base path in that door's shape, as the handler routes it", async () => {
    const under = MESSAGES.replace(' /v1/messages', ' /llm/v1/messages');
    expectAnthropicError((await raw(server.port, [`${under}Content-Length: ${BODY.length}\r\nContent-Length: 5\r\n\r\n${BODY}`])).text, 400);
    const slow = await raw(server.port, [`${under}Content-Length: ${BODY.length}\r\n\r\n`, ...BODY.slice(0, 10).split('')], 150);
    expectAnthropicError(slow.text, 408);
  });

  it('keeps the default shape for a path that is only a door\'s outside the base path', async () => {
    const outside = POST.replace(' /v1/chat/completions', ' /other/v1/messages');
    expectOpenAIError((await raw(server.port, [`${outside}Content-Length: ${BODY.length}\r\nContent-Length: 5\r\n\r\n${BODY}`])).text, 400, 'malformed_http');
  });
});

describe('slow and greedy clients', () => {
  let sim: SimServer;
  let server: RunningServer;

  beforeAll(async () => {
    sim = await startOpenAISim();
    server = await start(sim, { headers_timeout_ms: 300, body_timeout_ms: 600, max_connections: 3 });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await sim.close();
  });

  it('answers headers that trickle in past headers_timeout_ms with 408', async () => {
    const { text, ms } = await raw(server.port, ['POST /v1/chat/completions HTTP/1.1\r\n', 'Host: x\r\n', 'X-A: 1\r\n', 'X-B: 2\r\n', 'X-C: 3\r\n'], 200);
    expectOpenAIError(text, 408, 'request_timeout');
    expect(ms).toBeLessThan(2_000);
  });

  it('answers a body that trickles in past body_timeout_ms with 408', async () => {
    const { text, ms } = await raw(server.port, [`${POST}Content-Length: ${BODY.length}\r\n\r\n`, ...BODY.slice(0, 10).split('')], 150);
    expectOpenAIError(text, 408, 'request_timeout');
    expect(ms).toBeLessThan(2_500);
    const messages = await raw(server.port, [`${MESSAGES}Content-Length: ${BODY.length}\r\n\r\n`, ...BODY.slice(0, 10).split('')], 150);
    expectAnthropicError(messages.text, 408);
  });

  it('lets an answer take longer than body_timeout_ms', async () => {
    // A server of its own with room to receive the request: this file's 300 ms for the headers lost
    // to a CI machine busy with other files (a 408 before the request was in).
    const roomy = await start(sim, { headers_timeout_ms: 1_000, body_timeout_ms: 1_000 });
    try {
      sim.faults.add({ latency_ms: 2_000, count: 1 });
      const res = await request(`${roomy.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
    } finally {
      await roomy.shutdown(100);
    }
  });

  it('closes connections beyond max_connections on accept', async () => {
    const idle = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<Socket>((resolve) => {
            const s = connect(server.port, '127.0.0.1', () => resolve(s));
          }),
      ),
    );
    // Give the server a moment to count them before the fourth arrives.
    await new Promise((r) => setTimeout(r, 50));
    const { text, ms } = await raw(server.port, [`${POST}Content-Length: ${BODY.length}\r\n\r\n${BODY}`]);
    expect(text).toBe('');
    expect(ms).toBeLessThan(500);
    for (const s of idle) s.destroy();
  });
});

describe('CORS on answers to refused requests (server.allowed_origins)', () => {
  const PAGE = 'https://app.example.com';
  let sim: SimServer;
  let server: RunningServer;

  beforeAll(async () => {
    sim = await startOpenAISim();
    server = await start(sim, { allowed_origins: [PAGE], headers_timeout_ms: 500, body_timeout_ms: 600 });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await sim.close();
  });

  it("lets the allowed page read a 408 for a body that arrived too slowly: Node had parsed the request's headers", async () => {
    const { text } = await raw(server.port, [`${POST}Origin: ${PAGE}\r\nContent-Length: ${BODY.length}\r\n\r\n`, ...BODY.slice(0, 10).split('')], 150);
    expectOpenAIError(text, 408, 'request_timeout');
    const head = text.slice(0, text.indexOf('\r\n\r\n')).toLowerCase();
    expect(head).toContain(`\r\naccess-control-allow-origin: ${PAGE}\r\n`);
    expect(head).toContain('\r\naccess-control-expose-headers: x-request-id');
    expect(head).toContain('\r\nvary: origin\r\n');
  });

  it('gives another origin no CORS header', async () => {
    const { text } = await raw(server.port, [`${POST}Origin: https://elsewhere.example\r\nSec-Fetch-Site: same-origin\r\nContent-Length: ${BODY.length}\r\n\r\n`, ...BODY.slice(0, 10).split('')], 150);
    expect(text.toLowerCase()).not.toContain('access-control-');
  });

  it("has none for a parser error, which comes before the request's headers are known", async () => {
    const { text } = await raw(server.port, [`${POST}Origin: ${PAGE}\r\nContent-Length: ${BODY.length}\r\nContent-Length: 5\r\n\r\n${BODY}`]);
    expectOpenAIError(text, 400, 'malformed_http');
    expect(text.toLowerCase()).not.toContain('access-control-');
  });
});
