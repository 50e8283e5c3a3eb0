import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import type { AttemptRecord } from '../../core/events.js';
import { silentLogger } from '../../core/logger.js';
import { createGateway, type Gateway } from '../../gateway/gateway.js';
import { isBodyStream, type HttpHandler, type HttpResponse } from '../../http/exchange.js';
import { createHttpHandler } from '../../http/handler.js';
import { startAzureSim } from '../../sim/azure/index.js';
import type { SimServer } from '../../sim/server.js';

/*
 * An Azure OpenAI deployment of a chat model answers embeddings with a 400 `OperationNotSupported` ("The
 * embeddings operation does not work with the specified model, gpt-4o. …"). The deployment's name need
 * not say what it serves, so the answer is what tells: it is the capability refusal, tried on the group's
 * next deployment, and when none embeds the client reads why in the gateway's words, naming no model id.
 */

async function text(answer: HttpResponse): Promise<string> {
  if (!isBodyStream(answer.body)) return typeof answer.body === 'string' ? answer.body : Buffer.from(answer.body).toString('utf8');
  let out = '';
  for await (const chunk of answer.body) out += chunk;
  return out;
}

describe.each(['deployments', 'v1'] as const)('embeddings asked of an Azure OpenAI chat deployment (%s API)', (api) => {
  let sim: SimServer;
  let gateway: Gateway;
  let handle: HttpHandler;
  const records: AttemptRecord[] = [];
  const embeddingCalls = (): number => Object.entries(sim.stats.requests).reduce((n, [route, count]) => n + (route.endsWith('/embeddings') ? count : 0), 0);

  beforeAll(async () => {
    sim = await startAzureSim({ apiKey: 'az-key' });
    const common = { provider: 'azure-openai', endpoint: sim.url, api, api_version: '2024-10-21', api_key: 'az-key' };
    const parsed = parseConfig(
      {
        deployments: [
          { id: 'azure-chat', model: 'gpt-4o', ...common },
          { id: 'azure-embed', model: 'text-embedding-3-small', ...common },
        ],
        groups: [
          { name: 'mixed', strategy: 'priority', deployments: ['azure-chat', 'azure-embed'] },
          { name: 'chat-only', deployments: ['azure-chat'] },
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
    await sim.close();
  });

  const embed = async (model: string) => {
    const answer = await handle({ method: 'POST', path: '/v1/embeddings', query: '', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ model, input: 'hi' })), signal: new AbortController().signal });
    return { status: answer.status, headers: answer.headers, body: await text(answer) };
  };

  it("falls back past Azure's OperationNotSupported to the group's embedding deployment; the refusal is sent but not billed", async () => {
    records.length = 0;
    const calls = embeddingCalls();
    const answer = await embed('mixed');
    expect([answer.status, answer.headers['x-switchyard-deployment'], answer.headers['x-switchyard-attempts']]).toEqual([200, 'azure-embed', '2']);
    expect(embeddingCalls() - calls).toBe(2);
    const failed = records.filter((r) => r.outcome === 'error');
    expect(failed.map((r) => [r.deployment, r.error?.kind, r.error?.code, r.error?.param, r.error?.upstreamStatus, r.error?.unsent, r.usage])).toEqual([
      ['azure-chat', 'invalid_request', 'unsupported_capability', 'model', 400, false, undefined],
    ]);
  });

  it('when no deployment embeds: a 400 in the gateway’s words naming model, with no upstream model id', async () => {
    const answer = await embed('chat-only');
    expect([answer.status, answer.headers['x-switchyard-attempts']]).toEqual([400, '1']);
    const error = (JSON.parse(answer.body) as { error: { message: string } }).error;
    expect(error).toEqual({
      type: 'invalid_request_error',
      code: 'unsupported_capability',
      param: 'model',
      message: "No deployment of 'chat-only' served these embeddings: the last one tried is an Azure OpenAI deployment of a model without the embeddings operation. Ask for an embedding model instead.",
    });
    expect(error.message).not.toMatch(/gpt-4o|text-embedding/);
  });

  it('keeps another 400 a bad request that ends the walk', async () => {
    // Fault rules match the Azure deployment's name, which is its model here.
    sim.faults.add({ model: 'gpt-4o', count: 1, status: 400, error: 'BadRequest', error_message: "'input' is invalid." });
    const answer = await embed('mixed');
    expect([answer.status, answer.headers['x-switchyard-attempts']]).toEqual([400, '1']);
    expect((JSON.parse(answer.body) as { error: { code: string | null } }).error.code).not.toBe('unsupported_capability');
  });
});
