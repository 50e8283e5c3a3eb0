import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import type { AttemptRecord } from '../../core/events.js';
import { silentLogger } from '../../core/logger.js';
import { createGateway, type Gateway } from '../../gateway/gateway.js';
import { isBodyStream, type HttpHandler, type HttpResponse } from '../../http/exchange.js';
import { createHttpHandler } from '../../http/handler.js';
import { startOpenAISim } from '../../sim/openai/index.js';
import type { SimServer } from '../../sim/server.js';

/*
 * `switchyard demo`'s "chat" group asked for embeddings: OpenAI answers a chat model's embeddings with a
 * 403 ("You are not allowed to generate embeddings from this model"), which the gateway took for a
 * credentials problem (a 502 saying the upstream "denied the gateway access"), and vLLM serving an
 * instruct model with a 400 that ended the group's walk, and Ollama a 501 (a 500 before 0.13.3), which
 * was retried as a server error. Neither model id says it cannot embed, so the
 * answer is what tells: it is now the capability refusal, tried on the group's next deployment, and
 * when none embeds the client reads why in the gateway's words. The request went upstream (not unsent)
 * but is not billed.
 */

const MODEL_IDS = /gpt-4o|llama|instruct|text-embedding/;

async function text(answer: HttpResponse): Promise<string> {
  if (!isBodyStream(answer.body)) return typeof answer.body === 'string' ? answer.body : Buffer.from(answer.body).toString('utf8');
  let out = '';
  for await (const chunk of answer.body) out += chunk;
  return out;
}

describe('embeddings asked of OpenAI-compatible chat models (OpenAI, vLLM, Ollama)', () => {
  let openai: SimServer;
  let vllm: SimServer;
  let ollama: SimServer;
  let gateway: Gateway;
  let handle: HttpHandler;
  const records: AttemptRecord[] = [];
  const embeddingCalls = (): number => [openai, vllm, ollama].reduce((n, s) => n + (s.stats.requests['POST /embeddings'] ?? 0), 0);

  beforeAll(async () => {
    [openai, vllm, ollama] = await Promise.all([startOpenAISim({ apiKey: 'sk-sim' }), startOpenAISim({ name: 'vllm-sim' }), startOpenAISim({ name: 'ollama-sim', textOnlyEmbeddings: true })]);
    const parsed = parseConfig(
      {
        deployments: [
          { id: 'openai-chat', provider: 'openai-compatible', model: 'gpt-4o', endpoint: `${openai.url}/v1`, api_key: 'sk-sim' },
          { id: 'vllm-chat', provider: 'openai-compatible', model: 'llama-3.1-8b-instruct', endpoint: `${vllm.url}/v1` },
          { id: 'ollama-chat', provider: 'openai-compatible', model: 'llama-3.2-instruct', endpoint: `${ollama.url}/v1`, embedding_token_input: false },
          { id: 'openai-embed', provider: 'openai-compatible', model: 'text-embedding-3-small', endpoint: `${openai.url}/v1`, api_key: 'sk-sim' },
        ],
        groups: [
          { name: 'mixed', strategy: 'priority', deployments: ['openai-chat', 'vllm-chat', 'ollama-chat', 'openai-embed'] },
          { name: 'chat-only', strategy: 'priority', deployments: ['openai-chat', 'vllm-chat', 'ollama-chat'] },
          { name: 'embed-only', deployments: ['openai-embed'] },
        ],
      },
      {},
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    gateway = createGateway(parsed.config, { logger: silentLogger, observers: [{ onAttempt: (r) => records.push(r) }] });
    handle = createHttpHandler(gateway, { logger: silentLogger });
  });

  afterAll(async () => {
    await gateway.close();
    await Promise.all([openai.close(), vllm.close(), ollama.close()]);
  });

  const embed = async (model: string) => {
    const answer = await handle({ method: 'POST', path: '/v1/embeddings', query: '', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ model, input: 'hi' })), signal: new AbortController().signal });
    return { status: answer.status, headers: answer.headers, body: await text(answer) };
  };

  it("falls back past OpenAI's 403, vLLM's 400 and Ollama's 501 to the group's embedding model; the refusals are sent but not billed", async () => {
    records.length = 0;
    const calls = embeddingCalls();
    const answer = await embed('mixed');
    expect([answer.status, answer.headers['x-switchyard-deployment'], answer.headers['x-switchyard-attempts']]).toEqual([200, 'openai-embed', '4']);
    expect(embeddingCalls() - calls).toBe(4);
    const failed = records.filter((r) => r.outcome === 'error');
    expect(failed.map((r) => [r.deployment, r.error?.kind, r.error?.code, r.error?.upstreamStatus, r.error?.unsent, r.usage])).toEqual([
      ['openai-chat', 'invalid_request', 'unsupported_capability', 403, false, undefined],
      ['vllm-chat', 'invalid_request', 'unsupported_capability', 400, false, undefined],
      ['ollama-chat', 'invalid_request', 'unsupported_capability', 501, false, undefined],
    ]);
  });

  it('when no deployment embeds: a 400 in the gateway’s words naming model, with no upstream model id, each tried once', async () => {
    const calls = embeddingCalls();
    const answer = await embed('chat-only');
    expect([answer.status, answer.headers['x-switchyard-attempts']]).toEqual([400, '3']);
    const error = (JSON.parse(answer.body) as { error: { message: string } }).error;
    expect(error).toEqual({
      type: 'invalid_request_error',
      code: 'unsupported_capability',
      param: 'model',
      message: "No deployment of 'chat-only' served these embeddings: the last one tried serves a model its upstream does not embed with. Ask for an embedding model instead.",
    });
    expect(error.message).not.toMatch(MODEL_IDS);
    expect(embeddingCalls() - calls).toBe(3);
  });

  it('keeps a 403 with any other body a credentials problem (a 502 the next deployment may serve)', async () => {
    openai.faults.add({ model: 'text-embedding-3-small', count: 1, status: 403, error: 'model_not_found', error_message: 'Project `proj_sim` does not have access to model `text-embedding-3-small`' });
    const answer = await embed('embed-only');
    expect([answer.status, answer.headers['x-switchyard-attempts']]).toEqual([502, '1']);
    expect((JSON.parse(answer.body) as { error: { message: string } }).error.message).toBe('Upstream openai-embed (openai-compatible) denied the gateway access (HTTP 403).');
  });
});
