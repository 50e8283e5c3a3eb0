import { createServer, type Server } from 'node:http';
import type { AddressInfo, TcpNetConnectOpts } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../config/load.js';
import type { DeploymentConfig } from '../../config/schema.js';
import type { CallContext } from '../../core/provider.js';
import type { ChatRequest, StreamPart } from '../../core/types.js';
import type { OpenAICompatibleOptions } from './index.js';
import { OpenAICompatibleProvider } from './provider.js';

// Mistral's host, answered by the local server below: the agent's TCP connections to it go there.
const MISTRAL = 'api.mistral.ai';
vi.mock('node:net', async (importOriginal) => {
  const net = await importOriginal<typeof import('node:net')>();
  const connect = (options: TcpNetConnectOpts) => net.connect({ ...options, host: options.host === MISTRAL ? '127.0.0.1' : options.host });
  return { ...net, connect };
});

/** A magistral answer: its thinking and its text as Mistral's content chunks. */
const CHUNKS = [
  { type: 'thinking', thinking: [{ type: 'text', text: 'Four children' }] },
  { type: 'text', text: 'John is 22.' },
];
const sse = (...chunks: unknown[]): string => [...chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`), 'data: [DONE]\n\n'].join('');

let server: Server;
let port = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if ((JSON.parse(body) as { stream?: boolean }).stream === true) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(sse({ id: 'a', choices: [{ index: 0, delta: { role: 'assistant', content: [CHUNKS[0]] } }] }, { id: 'a', choices: [{ index: 0, delta: { content: 'John is 22.' }, finish_reason: 'stop' }] }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'a', model: 'magistral-medium-2509', choices: [{ index: 0, message: { role: 'assistant', content: CHUNKS }, finish_reason: 'stop' }], usage: { prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function provider(host: string): OpenAICompatibleProvider {
  const r = parseConfig({ deployments: [{ id: 'm', provider: 'openai-compatible', model: 'magistral-medium-latest', endpoint: `http://${host}:${port}/v1` }] }, {});
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  const d = r.config.deployments[0] as DeploymentConfig;
  return new OpenAICompatibleProvider(d, d.options as OpenAICompatibleOptions);
}

const ctx = (): CallContext => ({ signal: new AbortController().signal, requestId: 'r1' });
const ask: ChatRequest = { model: 'magistral-medium-latest', messages: [{ role: 'user', content: [{ type: 'text', text: 'How old is John?' }] }] };

describe("an openai-compatible deployment on Mistral's API", () => {
  it('reads a magistral answer whose content is thinking and text chunks, whole and streamed', async () => {
    const mistral = provider(MISTRAL);
    try {
      expect((await mistral.chat(ask, ctx())).content).toEqual([
        { type: 'reasoning', text: 'Four children', provider: 'openai' },
        { type: 'text', text: 'John is 22.' },
      ]);
      const parts: StreamPart[] = [];
      for await (const p of await mistral.stream(ask, ctx())) parts.push(p);
      expect(parts.filter((p) => p.type === 'reasoning' || p.type === 'text')).toEqual([
        { type: 'reasoning', delta: 'Four children', provider: 'openai' },
        { type: 'text', delta: 'John is 22.' },
      ]);
    } finally {
      await mistral.close();
    }
  });

  it('refuses the same reply from any other server, where a list is no text', async () => {
    const other = provider('127.0.0.1');
    try {
      await expect(other.chat(ask, ctx())).rejects.toMatchObject({ kind: 'bad_upstream_response', message: 'Upstream m (openai-compatible) returned a malformed response: message content that is not text.' });
      const stream = await other.stream(ask, ctx());
      await expect((async () => { for await (const p of stream) void p; })()).rejects.toMatchObject({ kind: 'bad_upstream_response', message: 'Upstream m (openai-compatible) sent a malformed stream chunk: delta content that is not text.' });
    } finally {
      await other.close();
    }
  });
});
