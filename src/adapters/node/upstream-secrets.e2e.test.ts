import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { parseConfig } from '../../config/load.js';
import type { ConfigInput } from '../../config/schema.js';
import type { Logger } from '../../core/logger.js';
import { createApp, type App } from '../../app.js';
import { createSimServiceAccount } from '../../sim/vertex/credentials.js';
import { eventFrame, exceptionFrame } from '../../sim/bedrock/eventstream.js';
import { startServer, type RunningServer } from './server.js';

// Planted in the config: every one is a credential some provider sends upstream.
const OPENAI_KEY = 'sk-proj-PLANTEDopenaiKEY0123456789';
const AZURE_KEY = '7f3c9a1e5b2d4c6e8a0b1c2d3e4f5a6b';
const ANTHROPIC_KEY = 'sk-ant-api03-PLANTEDanthropicKEY0123456789';
const AWS_KEY_ID = 'AKIAPLANTED0EXAMPLE1';
const AWS_SECRET = 'PlantedSecretAccessKey0123456789abcdefXYZ';
const AWS_SESSION = 'IQoJb3JpZ2luX2VjPlantedSessionToken0123456789abcdefghij';
const GATEWAY_KEY = 'gw-client-key-PLANTED-0123456789';
// Not in the config: credentials of other accounts an upstream might quote.
const OTHER_JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJvdGhlciI6InBsYW50ZWQifQ.c2lnbmVkLXBsYW50ZWQtdG9rZW4';
const OTHER_KEY = 'sk-other-PLANTED9876543210';
const OTHER_KEY_ID = 'ASIAOTHERPLANTED0001';

type Dialect = 'openai' | 'anthropic' | 'bedrock' | 'gemini';

const ERROR_NAMES: Record<Dialect, Record<number, string>> = {
  openai: { 400: 'invalid_request_error', 401: 'invalid_request_error', 404: 'invalid_request_error', 429: 'requests', 500: 'server_error' },
  anthropic: { 400: 'invalid_request_error', 401: 'authentication_error', 404: 'not_found_error', 429: 'rate_limit_error', 500: 'api_error' },
  bedrock: { 400: 'ValidationException', 401: 'UnrecognizedClientException', 404: 'ResourceNotFoundException', 429: 'ThrottlingException', 500: 'InternalServerException' },
  gemini: { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL' },
};

/** An upstream at its most careless: every error repeats the request's headers and other accounts' keys. */
function echoText(req: IncomingMessage): string {
  return `Request denied. You sent ${JSON.stringify(req.headers)}. Also seen: Bearer ${OTHER_JWT}, key ${OTHER_KEY}, id ${OTHER_KEY_ID}, raw token ${OTHER_JWT}.`;
}

function sendError(dialect: Dialect, status: number, text: string, res: ServerResponse): void {
  const name = ERROR_NAMES[dialect][status] ?? 'error';
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  let body: unknown;
  if (dialect === 'openai') body = { error: { message: text, type: name, param: status === 400 ? 'messages[0].content' : null, code: null } };
  else if (dialect === 'anthropic') body = { type: 'error', error: { type: name, message: text } };
  else if (dialect === 'bedrock') {
    headers['x-amzn-errortype'] = `${name}:http://internal.amazon.com/coral/com.amazon.bedrock/`;
    body = { message: text };
  } else body = { error: { code: status, message: text, status: name } };
  if (status === 429) headers['retry-after'] = '2';
  res.writeHead(status, headers).end(JSON.stringify(body));
}

/** A 200 stream with one piece of text, then the dialect's in-stream error carrying the echo. */
function sendBrokenStream(dialect: Dialect, text: string, res: ServerResponse): void {
  if (dialect === 'bedrock') {
    res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
    res.write(eventFrame('messageStart', { role: 'assistant' }));
    res.write(eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hel' } }));
    res.end(exceptionFrame('modelStreamErrorException', { message: text }));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const data = (v: unknown, event?: string): string => `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(v)}\n\n`;
  if (dialect === 'openai') {
    res.write(data({ id: 'c1', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' }, finish_reason: null }] }));
    res.end(data({ error: { message: text, type: 'server_error' } }));
  } else if (dialect === 'anthropic') {
    res.write(data({ type: 'message_start', message: { id: 'm1', type: 'message', role: 'assistant', model: 'claude', content: [], usage: { input_tokens: 3, output_tokens: 0 } } }, 'message_start'));
    res.write(data({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start'));
    res.write(data({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } }, 'content_block_delta'));
    res.end(data({ type: 'error', error: { type: 'overloaded_error', message: text } }, 'error'));
  } else {
    res.write(data({ candidates: [{ content: { role: 'model', parts: [{ text: 'Hel' }] } }] }));
    res.end(data({ error: { code: 500, message: text, status: 'INTERNAL' } }));
  }
}

interface Echo {
  server: Server;
  url: string;
  /** The status errors answer with; 200 answers a stream that breaks after its first text. */
  status: number;
  /** Authorization headers seen (the Vertex JWT is minted at run time). */
  seen: string[];
}

async function startEcho(dialect: Dialect): Promise<Echo> {
  const echo: Echo = { server: createServer(), url: '', status: 400, seen: [] };
  echo.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      if (typeof req.headers.authorization === 'string') echo.seen.push(req.headers.authorization);
      if (echo.status === 200) sendBrokenStream(dialect, echoText(req), res);
      else sendError(dialect, echo.status, echoText(req), res);
    });
  });
  await new Promise<void>((resolve) => echo.server.listen(0, '127.0.0.1', resolve));
  echo.url = `http://127.0.0.1:${(echo.server.address() as AddressInfo).port}`;
  return echo;
}

function capturingLogger(lines: string[]): Logger {
  const make = (bindings: Record<string, unknown>): Logger => {
    const log = (level: string) => (obj: object, msg?: string) => lines.push(JSON.stringify({ level, ...bindings, ...obj, msg }));
    return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: (b) => make({ ...bindings, ...b }) };
  };
  return make({});
}

const DIALECT_OF: Record<string, Dialect> = {
  'openai-d': 'openai',
  'openai-exposed': 'openai',
  'azure-d': 'openai',
  'anthropic-d': 'anthropic',
  'bedrock-d': 'bedrock',
  'vertex-d': 'gemini',
};

describe('upstream error text never carries a credential out of the gateway', () => {
  const account = createSimServiceAccount('planted-project');
  const privateKey = (JSON.parse(account.json) as { private_key: string; private_key_id: string }).private_key;
  const privateKeyId = (JSON.parse(account.json) as { private_key_id: string }).private_key_id;
  const echoes = new Map<string, Echo>();
  const lines: string[] = [];
  const outputs: string[] = [];
  let dir: string;
  let app: App;
  let server: RunningServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scrub-e2e-'));
    for (const id of Object.keys(DIALECT_OF)) echoes.set(id, await startEcho(DIALECT_OF[id] as Dialect));
    const url = (id: string): string => (echoes.get(id) as Echo).url;
    const config: ConfigInput = {
      api_keys: [{ id: 'k', key: GATEWAY_KEY }],
      // The upstream's words in the log (off by default), to show they are scrubbed there too.
      logging: { upstream_error_text: true },
      routing: { max_attempts_per_deployment: 1, breaker: { consecutive_failures: 1000, min_requests: 1000 } },
      deployments: [
        { id: 'openai-d', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${url('openai-d')}/v1`, api_key: OPENAI_KEY },
        { id: 'openai-exposed', provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${url('openai-exposed')}/v1`, api_key: OPENAI_KEY, expose_upstream_errors: true },
        { id: 'azure-d', provider: 'azure-openai', model: 'gpt-4o', endpoint: url('azure-d'), api_version: '2024-10-21', api_key: AZURE_KEY, region: 'swedencentral' },
        { id: 'anthropic-d', provider: 'anthropic', model: 'claude-sonnet-4-5', endpoint: url('anthropic-d'), api_key: ANTHROPIC_KEY },
        {
          id: 'bedrock-d',
          provider: 'bedrock',
          model: 'anthropic.claude-3-5-haiku-20241022-v1:0',
          region: 'us-east-1',
          endpoint: url('bedrock-d'),
          access_key_id: AWS_KEY_ID,
          secret_access_key: AWS_SECRET,
          session_token: AWS_SESSION,
        },
        { id: 'vertex-d', provider: 'vertex', model: 'gemini-2.5-flash', project: 'planted-project', region: 'europe-west4', endpoint: url('vertex-d'), credentials_file: '${VERTEX_SA}', self_signed_jwt: true },
      ],
      groups: Object.keys(DIALECT_OF).map((id) => ({ name: id, deployments: [id] })),
      ledger: { path: join(dir, 'ledger.sqlite'), spill_path: join(dir, 'spill.jsonl') },
    };
    const parsed = parseConfig(config, { VERTEX_SA: account.json });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const logger = capturingLogger(lines);
    app = await createApp(parsed.config, { logger, accessLogger: logger });
    server = await startServer(app.gateway, { ...app.serverOptions, port: 0, onClose: () => app.close() });
  });

  afterAll(async () => {
    await server.shutdown(100);
    await Promise.all([...echoes.values()].map((e) => new Promise((resolve) => e.server.close(resolve))));
    rmSync(dir, { recursive: true, force: true });
  });

  async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
    const res = await request(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${GATEWAY_KEY}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    outputs.push(JSON.stringify(res.headers), text);
    return { status: res.statusCode, headers: res.headers, text };
  }

  const chat = (model: string, stream = false) => call('POST', '/v1/chat/completions', { model, stream, messages: [{ role: 'user', content: 'hi' }] });

  it.each([400, 401, 404, 429, 500])('answers an upstream %i in every dialect with our own words', async (status) => {
    for (const [id, echo] of echoes) {
      echo.status = status;
      const r = await chat(id);
      expect(r.status, id).toBeGreaterThanOrEqual(400);
      const error = (JSON.parse(r.text) as { error: { message: string; param: string | null } }).error;
      expect(error.message, id).toMatch(new RegExp(`^Upstream ${id} \\([a-z-]+\\) .* \\(HTTP ${status}\\)\\.`));
      expect(error.message.includes('Upstream said: Request denied'), id).toBe(id === 'openai-exposed');
      expect(r.headers['x-switchyard-deployment'], id).toBe(id);
      expect(r.headers['x-switchyard-attempts'], id).toBe('1');
      if (status === 400 && DIALECT_OF[id] === 'openai') expect(error.param, id).toBe('messages[0].content');
      if (status === 429) {
        // The upstream's wait, less what already passed when the answer was written.
        expect(r.headers['retry-after'], id).toBe('2');
        expect(Number(r.headers['retry-after-ms']), id).toBeGreaterThan(1900);
        expect(Number(r.headers['retry-after-ms']), id).toBeLessThanOrEqual(2000);
      }
    }
    // Each deployment now cools for the 2 s its upstream asked; the next cases need them back.
    if (status === 429) await new Promise((resolve) => setTimeout(resolve, 2_050));
  });

  it('ends a stream that breaks after its first text with an error event in our words', async () => {
    for (const [id, echo] of echoes) {
      echo.status = 200;
      const r = await chat(id, true);
      expect(r.status, id).toBe(200);
      expect(r.text, id).toContain('"content":"Hel"');
      // Google's in-stream errors carry their own HTTP-style code, and say it.
      expect(r.text, id).toMatch(new RegExp(`"message":"Upstream ${id} \\([a-z-]+\\) [^"]* (mid-stream|\\(HTTP 500\\))\\.`));
      expect(r.text, id).not.toContain('[DONE]');
    }
  });

  it('logs the scrubbed upstream text with the deployment, for operators', () => {
    const upstream = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'upstream error');
    for (const id of echoes.keys()) {
      const mine = upstream.filter((l) => l.deployment === id);
      expect(mine.length, id).toBe(6);
      expect(String(mine[0]?.upstream), id).toContain('Request denied');
      expect(String(mine[0]?.upstream), id).toContain('[redacted]');
    }
  });

  it('finds no planted secret in any response, log line, status or usage report', async () => {
    await app.ledger.flush();
    await call('GET', '/v1/switchyard/status');
    const report = await call('GET', '/v1/switchyard/usage?group_by=deployment');
    expect(report.status).toBe(200);
    const vertexTokens = (echoes.get('vertex-d') as Echo).seen.map((a) => a.replace(/^Bearer /, ''));
    expect(vertexTokens.length).toBeGreaterThan(0);
    const planted = [OPENAI_KEY, AZURE_KEY, ANTHROPIC_KEY, AWS_KEY_ID, AWS_SECRET, AWS_SESSION, GATEWAY_KEY, OTHER_JWT, OTHER_KEY, OTHER_KEY_ID, privateKeyId, ...vertexTokens];
    // Any 40 characters of the private key's body would be a leak.
    const keyBody = privateKey.replace(/-----[A-Z ]+-----/g, '').replace(/\s/g, '');
    planted.push(keyBody.slice(0, 40), keyBody.slice(400, 440));
    const everything = [...outputs, ...lines].join('\n');
    expect(everything).toContain('Request denied');
    for (const secret of planted) expect(everything, secret).not.toContain(secret);
  });
});
