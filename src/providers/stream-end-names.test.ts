import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { GatewayError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import type { Provider } from '../core/provider.js';
import type { StreamPart } from '../core/types.js';
import { SIM_CREDENTIALS } from '../sim/bedrock/index.js';
import { eventFrame } from '../sim/bedrock/eventstream.js';
import { createSimServiceAccount } from '../sim/vertex/credentials.js';
import { findProvider } from './registry.js';

/*
 * A stream whose body ends cleanly before the wire's end marker (`[DONE]`, `message_stop`, Bedrock's
 * messageStop, Gemini's finishReason) is cut short. The dialect says so, and names the deployment as the
 * transport's errors do ("Upstream primary-oa (openai-compatible) …"), not only its provider type: an
 * operator with several deployments of one type reads which one broke. The error still carries the type.
 * So does a whole answer the dialect cannot read.
 */

const sse = (events: Array<[string | undefined, unknown]>): string => events.map(([event, data]) => `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`).join('');

const OPENAI_CUT = sse([[undefined, { id: 'c1', model: 'm', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' } }] }]]);
const MESSAGES_CUT = sse([
  ['message_start', { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude', content: [], usage: { input_tokens: 3, output_tokens: 1 } } }],
  ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
  ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } }],
]);
const GEMINI_CUT = sse([[undefined, { responseId: 'r1', candidates: [{ content: { role: 'model', parts: [{ text: 'Hel' }] } }] }]]);
const CONVERSE_CUT = Buffer.concat([eventFrame('messageStart', { role: 'assistant' }), eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hel' } })]);

/** What the upstream answers: a stream cut short (its first events, then a clean end), or an empty JSON object. */
let answer: 'cut' | 'empty' | 'unreadable' = 'cut';

/** The upstream's answer to a request, by its path. */
function respond(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? '';
  req.resume();
  if (answer === 'empty') {
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    return;
  }
  if (answer === 'unreadable') {
    // A choice that is null: no answer to pass over, whole or streamed (the body says which was asked).
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if ((JSON.parse(body) as { stream?: unknown }).stream === true) res.writeHead(200, { 'content-type': 'text/event-stream' }).end(sse([[undefined, { id: 'c1', model: 'm', choices: [null] }]]));
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'c1', model: 'm', choices: [null] }));
    });
    return;
  }
  const [type, body] = path.includes('converse-stream')
    ? ['application/vnd.amazon.eventstream', CONVERSE_CUT]
    : path.includes(':streamRawPredict') || path.endsWith('/v1/messages')
      ? ['text/event-stream', MESSAGES_CUT]
      : path.includes(':streamGenerateContent')
        ? ['text/event-stream', GEMINI_CUT]
        : ['text/event-stream', OPENAI_CUT];
  req.on('end', () => {
    res.writeHead(200, { 'content-type': type });
    res.end(body);
  });
}

describe('an answer the dialect cannot take whole', () => {
  let server: Server;
  let url: string;
  const providers: Provider[] = [];

  beforeAll(async () => {
    server = createServer(respond);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await Promise.all(providers.map((p) => p.close?.()));
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  function make(deployment: Record<string, unknown>): Provider {
    const account = createSimServiceAccount('cut-project');
    const parsed = parseConfig({ deployments: [deployment] }, { AWS_ID: SIM_CREDENTIALS.accessKeyId, AWS_SECRET: SIM_CREDENTIALS.secretAccessKey, VERTEX_SA: account.json });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const d = parsed.config.deployments[0]!;
    const provider = findProvider(d.provider)!.create(d, d.options, { logger: silentLogger });
    providers.push(provider);
    return provider;
  }

  const ask = { model: 'x', messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'hi' }] }] };

  async function streamFailure(provider: Provider): Promise<GatewayError> {
    const parts: StreamPart[] = [];
    const signal = new AbortController().signal;
    try {
      for await (const p of await provider.stream(ask, { signal, requestId: 'r1' })) parts.push(p);
    } catch (err) {
      if (!GatewayError.isInstance(err)) throw err;
      expect(parts.some((p) => p.type === 'text')).toBe(true);
      return err;
    }
    throw new Error('the stream ended as if whole');
  }

  const vertex = () => ({ provider: 'vertex', project: 'cut-project', region: 'europe-west4', endpoint: url, credentials_file: '${VERTEX_SA}', self_signed_jwt: true });
  const cases: Array<[string, () => Record<string, unknown>]> = [
    ['openai-compatible', () => ({ provider: 'openai-compatible', model: 'gpt-4o-mini', endpoint: `${url}/v1` })],
    ['azure-openai', () => ({ provider: 'azure-openai', model: 'gpt-4o', endpoint: url, api_key: 'az-key' })],
    ['anthropic', () => ({ provider: 'anthropic', model: 'claude-haiku-4-5', endpoint: url, api_key: 'sk-ant' })],
    ['bedrock', () => ({ provider: 'bedrock', model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0', region: 'us-east-1', endpoint: url, access_key_id: '${AWS_ID}', secret_access_key: '${AWS_SECRET}' })],
    ['vertex', () => ({ ...vertex(), model: 'gemini-2.5-flash' })],
    ['vertex', () => ({ ...vertex(), publisher: 'anthropic', model: 'claude-haiku-4-5@20251001' })],
  ];

  for (const [type, deployment] of cases) {
    it(`a stream cut before its end marker, over ${type} (${String(deployment().model)}): names the deployment and its type, and carries the type`, async () => {
      answer = 'cut';
      const error = await streamFailure(make({ id: `cut-${type}`, ...deployment() }));
      expect(error.message).toMatch(new RegExp(`^Upstream cut-${type} \\(${type}\\) stream ended before (completion|message_stop)\\.$`));
      expect(error.kind).toBe('network');
      expect(error.provider).toBe(type);
    });

    it(`a whole answer without its content, over ${type} (${String(deployment().model)}): names the deployment and its type`, async () => {
      answer = 'empty';
      const error = await make({ id: `empty-${type}`, ...deployment() }).chat(ask, { signal: new AbortController().signal, requestId: 'r2' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (!GatewayError.isInstance(error)) throw new Error(`expected a GatewayError, got ${String(error)}`);
      expect(error.message).toMatch(new RegExp(`^Upstream empty-${type} \\(${type}\\) returned (a malformed response: |no candidates)`));
      expect(error.kind).toBe('bad_upstream_response');
      expect(error.provider).toBe(type);
    });
  }

  it.each([
    ['openai-compatible', { provider: 'openai-compatible', model: 'gpt-4o-mini' }],
    ['azure-openai', { provider: 'azure-openai', model: 'gpt-4o', api_key: 'az-key' }],
  ])('a reply whose choice is not an object, over %s, whole and streamed: refused as malformed, naming the deployment, its type and the field', async (type, deployment) => {
    answer = 'unreadable';
    const provider = make({ id: `odd-${type}`, ...deployment, endpoint: type === 'openai-compatible' ? `${url}/v1` : url });
    const signal = new AbortController().signal;
    const whole = await provider.chat(ask, { signal, requestId: 'r3' }).then(() => undefined, (e: unknown) => e);
    const streamed = await (async () => {
      try {
        for await (const p of await provider.stream(ask, { signal, requestId: 'r4' })) void p;
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    if (!GatewayError.isInstance(whole)) throw new Error(`expected a GatewayError, got ${String(whole)}`);
    expect(whole.message).toBe(`Upstream odd-${type} (${type}) returned a malformed response: a choice that is not an object.`);
    if (!GatewayError.isInstance(streamed)) throw new Error(`expected a GatewayError, got ${String(streamed)}`);
    expect(streamed.message).toBe(`Upstream odd-${type} (${type}) sent a malformed stream chunk: a choice that is not an object.`);
    for (const error of [whole, streamed]) expect(error).toMatchObject({ kind: 'bad_upstream_response', provider: type });
  });

  it('names a deployment called as its type once', async () => {
    answer = 'cut';
    const error = await streamFailure(make({ id: 'anthropic', provider: 'anthropic', model: 'claude-haiku-4-5', endpoint: url, api_key: 'sk-ant' }));
    expect(error.message).toBe('Upstream anthropic stream ended before message_stop.');
  });
});
